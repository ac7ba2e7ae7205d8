package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

const (
	v1Text = "study: s\nobjective: {metric: loss, direction: minimize}\ntrainer: {plugin: ./t}\nparameters:\n  x: {type: float, low: 0, high: 10}\n  c: {type: categorical, choices: [a, b]}\n"
	v2Text = "study: s\nobjective: {metric: loss, direction: minimize}\ntrainer: {plugin: ./t}\nparameters:\n  x: {type: float, low: 2, high: 20}\n  c: {type: categorical, choices: [a]}\n"
)

// editedStudy is a study whose space was edited twice: trials 0-3 ran
// under version 1, none under version 2, 4-5 under version 3.
func editedStudy() (*scheduler.Study, []trial.Record) {
	st := study()
	st.SpaceText, st.SpaceFile = []byte(v2Text), "v3.yaml"
	st.SpaceVersions = []scheduler.SpaceVersion{
		{Version: 1, SpaceFile: "v1.yaml", SpaceText: v1Text, Since: t0},
		{Version: 2, SpaceFile: "v2.yaml", SpaceText: v1Text, FirstTrial: 4, Since: t0.Add(1), Changes: []string{"x: low 0 → 1 (narrowed)"}},
		{Version: 3, SpaceFile: "v3.yaml", FirstTrial: 4, Since: t0.Add(2), Changes: []string{"x: low 1 → 2 (narrowed), high 10 → 20 (widened)", "c: choices - b"}, By: "ann@box"},
	}
	var recs []trial.Record
	for id := range 6 {
		r := rec(id, trial.Completed, "w", nil, 0, 1)
		r.Params = value.Values{{Name: "x", Value: value.Float(float64(id) * 3)}, {Name: "c", Value: value.String([]string{"a", "b"}[id%2])}}
		recs = append(recs, r)
	}
	return st, recs
}

// TestVersionsSayWhichTrialsRanUnderEach: the report lists each version
// of an edited study's space with its trials, changes and text, in md and
// JSON, and marks each trial's version; a study never edited shows none.
func TestVersionsSayWhichTrialsRanUnderEach(t *testing.T) {
	st, recs := editedStudy()
	vs := Versions(st)
	var ranges []string
	for _, v := range vs {
		ranges = append(ranges, v.Trials())
	}
	if got := strings.Join(ranges, ", "); got != "0–3, none, 4 on" || vs[2].SpaceText != v2Text || !vs[2].Current {
		t.Fatalf("versions hold trials %s (current text %q)", got, vs[2].SpaceText)
	}
	rows := Leaderboard(st, recs)
	for _, r := range rows {
		if want := map[bool]int{true: 1, false: 3}[r.ID < 4]; r.SpaceVersion != want {
			t.Errorf("trial %d: version %d, want %d", r.ID, r.SpaceVersion, want)
		}
	}
	var md bytes.Buffer
	if err := WriteVersionsMarkdown(&md, vs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Space versions", "| 1 | 0–3 |", "| 2 | none |", "| 3 | 4 on | 2026-05-01 12:00:00 | v3.yaml | x: low 1 → 2 (narrowed), high 10 → 20 (widened); c: choices - b |",
		"### Version 1 (trials 0–3)\n\n```yaml\n" + v1Text + "```", "### Version 3 (trials 4 on)\n\n```yaml\n" + v2Text + "```"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, st, rows, nil); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Versions []Version `json:"space_versions"`
		Trials   []Row     `json:"trials"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Versions) != 3 || doc.Versions[0].LastTrial == nil || *doc.Versions[0].LastTrial != 3 || doc.Versions[2].LastTrial != nil || doc.Versions[2].By != "ann@box" || doc.Versions[0].SpaceText != v1Text || doc.Trials[0].SpaceVersion == 0 {
		t.Errorf("JSON versions %+v, first trial's version %d", doc.Versions, doc.Trials[0].SpaceVersion)
	}
	if names := columnNames(st, rows); !strings.Contains(names, "space_version") {
		t.Errorf("columns %s lack space_version", names)
	}
	// Never edited: no versions anywhere.
	plain := study()
	rows = Leaderboard(plain, recs)
	js.Reset()
	md.Reset()
	if err := WriteJSON(&js, plain, rows, nil); err != nil {
		t.Fatal(err)
	}
	if Versions(plain) != nil || strings.Contains(js.String(), "space_version") || strings.Contains(columnNames(plain, rows), "space_version") {
		t.Errorf("a study never edited shows versions:\n%s", js.String())
	}
}

func columnNames(st *scheduler.Study, rows []Row) string {
	var names []string
	for _, c := range Columns(st, rows) {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",")
}

// TestAxesHoldTrialsOfEarlierVersions: the plots' axes come from the
// current space, widened to the values of trials created under earlier
// versions (x = 0 below the new low 2, c = b no longer a choice), so every
// trial is drawn.
func TestAxesHoldTrialsOfEarlierVersions(t *testing.T) {
	st, recs := editedStudy()
	d := Build(Input{Study: st, Trials: recs})
	byName := map[string]Param{}
	for _, p := range d.Params {
		byName[p.Name] = p
	}
	x, c := byName["x"], byName["c"]
	if x.Low != 0 || x.High != 20 || len(c.Levels) != 2 {
		t.Fatalf("axes x [%v, %v], c %v; want x over [0, 20] and c over a, b", x.Low, x.High, c.Levels)
	}
	for j, p := range d.Params {
		for i := range d.Rows {
			if math.IsNaN(d.coords[j][i]) || math.IsNaN(p.Unit(d.Rows[i].Params[j].Value)) {
				t.Errorf("trial %d is off the %s axis", d.Rows[i].ID, p.Name)
			}
		}
	}
}

// TestVersionOfOneTrial: a version that holds trial 0 alone says so, and
// its last trial (0) is in the JSON.
func TestVersionOfOneTrial(t *testing.T) {
	st := study()
	st.SpaceVersions = []scheduler.SpaceVersion{{Version: 1, SpaceText: v1Text}, {Version: 2, FirstTrial: 1}}
	vs := Versions(st)
	b, err := json.Marshal(vs[0])
	if err != nil {
		t.Fatal(err)
	}
	if vs[0].Trials() != "0" || vs[1].Trials() != "1 on" || !strings.Contains(string(b), `"last_trial":0`) {
		t.Errorf("versions hold %q and %q; JSON %s", vs[0].Trials(), vs[1].Trials(), b)
	}
}
