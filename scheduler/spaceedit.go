package scheduler

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"automl/internal/whoami"
	"automl/internal/words"
	"automl/search"
	"automl/search/value"
	"automl/spacefile"
)

// SpaceVersion is one version of a study's space: the space file it ran
// under from trial FirstTrial on (up to the next version's), and how it
// changed from the version before.
type SpaceVersion struct {
	Version   int    `json:"version"`
	SpaceFile string `json:"space_file"`
	// SpaceText is the file as written; a study's record leaves it out of
	// the current version (it is Study.SpaceText), Study.Versions fills it in.
	SpaceText  string    `json:"space_text,omitempty"`
	FirstTrial int       `json:"first_trial"`
	Since      time.Time `json:"since"`
	// Changes are the edit that made this version, a line per change (none
	// for the first); By is who made it (user@host).
	Changes []string `json:"changes,omitempty"`
	By      string   `json:"by,omitempty"`
}

// Versions lists every version of the study's space, oldest first, each
// with its text: one version for a study whose space was never edited.
func (st *Study) Versions() []SpaceVersion {
	if len(st.SpaceVersions) == 0 {
		return []SpaceVersion{{Version: 1, SpaceFile: st.SpaceFile, SpaceText: string(st.SpaceText), Since: st.Created}}
	}
	vs := slices.Clone(st.SpaceVersions)
	vs[len(vs)-1].SpaceText = string(st.SpaceText)
	return vs
}

// VersionOf is the version of the space trial id was created under.
func (st *Study) VersionOf(id int) int {
	v := 1
	for _, sv := range st.SpaceVersions {
		if id >= sv.FirstTrial {
			v = sv.Version
		}
	}
	return v
}

// SpaceEdit is an edit of a study's space, applied as the study continued
// (Config.AllowSpaceChange): what Config.SpaceEdited is told.
type SpaceEdit struct {
	Study string
	// Version is the space's new version (2 at the first edit); trials from
	// FirstTrial on are created under it.
	Version, FirstTrial int
	// Changes say what changed, a line each: "lr: high 0.1 → 1 (widened)".
	Changes []string
	// Learning says which earlier trials the search learns from: "tpe
	// learns from 38 of 40 earlier trials; 2 are outside the space (lr > 0.5)".
	Learning string
}

// ErrSpaceChanged is the error of a study continued with an edited space
// file that it may not take: without AllowSpaceChange (the error lists
// the changes and the flag that applies them), or with a change no study
// can take (a parameter's type, the grid of a grid search). It is an
// ErrCannotResume too.
var ErrSpaceChanged = errors.New("the study's space file changed")

// spaceError is an ErrSpaceChanged that says why in full.
type spaceError string

func (e spaceError) Error() string { return string(e) }
func (e spaceError) Is(target error) bool {
	return target == ErrSpaceChanged || target == ErrCannotResume
}

// checkEdit decides whether the study may go on in the edited space file,
// given how it differs from the one it last ran with (and notes on other
// changes let through): the change is refused, or kept in s.edit to apply
// once the study is loaded.
func (s *Scheduler) checkEdit(st StudyState, e spacefile.Edit, notes []string) error {
	f := s.cfg.File
	name := fmt.Sprintf("study %q%s", st.Study.Name, inFile(s.cfg.StoreFile))
	for _, p := range e.Params {
		if p.Refused != "" {
			return spaceError(fmt.Sprintf("%s cannot take the space in %s: %s", name, f.Path, p))
		}
	}
	if f.Algorithm.Name == "grid" {
		return spaceError(fmt.Sprintf("%s is a grid search, whose points are numbered by its space: its space cannot change (%s); to search another grid, change `study:` in %s or use another --db",
			name, firstChange(e), f.Path))
	}
	if e.Options != "" && !samplerBased(f) {
		return spaceError(fmt.Sprintf("%s cannot change its %s: %s lays out its trials from them; change them back in %s, or start a new study (change `study:` or use another --db)",
			name, e.Options, f.Algorithm.Name, f.Path))
	}
	earlier := make([]value.Values, len(st.Trials))
	for i := range st.Trials {
		earlier[i] = st.Trials[i].Params
	}
	defaulted, err := e.Defaults(f, earlier)
	if err != nil {
		return spaceError(err.Error())
	}
	var lines []string
	for _, p := range e.Params {
		line := p.String()
		if n := defaulted[p.Name]; p.Added && n > 0 {
			line = fmt.Sprintf("%s: added (default %s for the %s that ran without it)", p.Name, p.Default, words.Plural(n, "earlier trial"))
		}
		lines = append(lines, line)
	}
	lines = append(append(lines, words.NonEmpty(e.Order, e.Options)...), notes...)
	if !s.cfg.AllowSpaceChange {
		return spaceError(fmt.Sprintf("%s ran with another version of its space file; the changes in %s:\n  %s\nto apply them, run again with --allow-space-change: the earlier trials stay as they were, the search goes on in the new space and learns from the earlier trials that fit it; to start a new study instead, change `study:` in %s or use another --db",
			name, f.Path, strings.Join(lines, "\n  "), f.Path))
	}
	s.edit = &SpaceEdit{Study: st.Study.Name, FirstTrial: st.Snapshot.NextID, Changes: lines}
	return nil
}

// applyEdit records the edit checked by checkEdit as the study's next
// space version and says what the search learns from.
func (s *Scheduler) applyEdit(st StudyState) {
	f, now := s.cfg.File, s.cfg.Now()
	vs := s.study.SpaceVersions
	if len(vs) == 0 {
		vs = []SpaceVersion{{Version: 1, SpaceFile: s.study.SpaceFile, Since: s.study.Created}}
	}
	vs[len(vs)-1].SpaceText = string(s.study.SpaceText)
	s.edit.Version = len(vs) + 1
	vs = append(vs, SpaceVersion{Version: s.edit.Version, SpaceFile: f.Path, FirstTrial: s.edit.FirstTrial, Since: now, Changes: s.edit.Changes, By: whoami.Name()})
	s.study.SpaceVersions = vs
	s.study.SpaceFile, s.study.SpaceText = f.Path, f.Text
	s.edit.Learning = s.learning(len(st.Trials))
	if s.cfg.SpaceEdited != nil {
		s.cfg.SpaceEdited(*s.edit)
		return
	}
	s.log.Info("the study's space changed", "study", s.study.Name, "version", s.edit.Version, "from trial", s.edit.FirstTrial, "changes", strings.Join(s.edit.Changes, "; "))
	s.log.Info(s.edit.Learning, "study", s.study.Name)
}

// learning says which of the earlier trials the search learns from: those
// that fit the space (the ledger's history), and why the others do not.
func (s *Scheduler) learning(earlier int) string {
	used := earlier - s.ledger.outsideCount()
	why := s.ledger.outsideReasons()
	outside := ""
	if used < earlier {
		outside = fmt.Sprintf("; %d %s outside the space (%s)", earlier-used, words.IsAre(earlier-used), why)
	}
	algo := s.cfg.File.Algorithm
	if algo.Prefetch() { // random, Sobol: nothing to learn
		return fmt.Sprintf("%d of %s fit the space%s; %s does not learn from them", used, words.Plural(earlier, "earlier trial"), outside, algo.Name)
	}
	return fmt.Sprintf("%s learns from %d of %s%s", algo.Name, used, words.Plural(earlier, "earlier trial"), outside)
}

// samplerBased reports whether the study's algorithm is a single-fidelity
// sampler, whose options may change between runs (they hold no state).
func samplerBased(f *spacefile.File) bool {
	se, err := search.NewSearcher(f.Space, f.Algorithm.Settings(0))
	if err != nil {
		return false
	}
	_, ok := search.SamplerOf(se)
	return ok
}

func firstChange(e spacefile.Edit) string {
	if len(e.Params) > 0 {
		return e.Params[0].String()
	}
	return cmp.Or(e.Order, e.Options)
}
