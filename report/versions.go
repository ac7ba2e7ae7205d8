package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"automl/scheduler"
)

// Version is one version of a study's space and the trials created under
// it: ids FirstTrial to LastTrial, or from FirstTrial on for the current
// version (Current; LastTrial nil).
type Version struct {
	scheduler.SpaceVersion
	LastTrial *int `json:"last_trial,omitempty"`
	Current   bool `json:"current,omitempty"`
}

// Versions lists the versions of the study's space, oldest first: none
// while its space was never edited (its one version is the study's space
// file).
func Versions(st *scheduler.Study) []Version {
	if len(st.SpaceVersions) == 0 {
		return nil
	}
	vs := st.Versions()
	out := make([]Version, len(vs))
	for i, v := range vs {
		out[i] = Version{SpaceVersion: v, Current: i == len(vs)-1}
		if !out[i].Current {
			last := vs[i+1].FirstTrial - 1
			out[i].LastTrial = &last
		}
	}
	return out
}

// Trials says which trials a version holds: "0–11", "12 on", or "none"
// for a version left before any trial was created under it.
func (v Version) Trials() string {
	switch {
	case v.LastTrial == nil:
		return fmt.Sprintf("%d on", v.FirstTrial)
	case *v.LastTrial < v.FirstTrial:
		return "none"
	case *v.LastTrial == v.FirstTrial:
		return fmt.Sprint(v.FirstTrial)
	}
	return fmt.Sprintf("%d–%d", v.FirstTrial, *v.LastTrial)
}

// WriteVersionsMarkdown writes the versions of an edited study's space: a
// table of the trials created under each and what changed, then each
// version's file. It writes nothing for a study never edited.
func WriteVersionsMarkdown(w io.Writer, vs []Version) error {
	if len(vs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("\n## Space versions\n\n| version | trials | since | space file | changes |\n| --- | --- | --- | --- | --- |\n")
	for _, v := range vs {
		changes := strings.Join(v.Changes, "; ")
		if v.Version == 1 {
			changes = "(the study's first space)"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", v.Version, v.Trials(), v.Since.UTC().Format(time.DateTime), mdEscape(v.SpaceFile), mdEscape(changes))
	}
	for _, v := range vs {
		fmt.Fprintf(&b, "\n### Version %d (trials %s)\n\n```yaml\n%s\n```\n", v.Version, v.Trials(), strings.TrimRight(v.SpaceText, "\n"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
