package spacefile_test

import (
	"strings"
	"testing"

	"automl/spacefile"
)

const nameless = `objective: {metric: value, direction: minimize}
budget: {trials: 3}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

// A study's default name keeps the letters of every script: über.yaml
// was the study "ber".
func TestDefaultStudyNameKeepsLetters(t *testing.T) {
	for file, want := range map[string]string{"über.yaml": "über", "dir/Über.yaml": "über", "u\u0308ber.yaml": "über", "学习.yaml": "学习", "my space.yaml": "my-space"} {
		f, err := spacefile.Parse(file, []byte(nameless))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if f.Study != want {
			t.Errorf("%s: study %q, want %q", file, f.Study, want)
		}
	}
}

// A name written in the file may use any script too; typed decomposed it
// is the same study; a wrong one says why and what would do.
func TestStudyKeyTakesLettersOfAnyScript(t *testing.T) {
	for _, tc := range []struct{ name, want, err string }{
		{"über", "über", ""},
		{"u\u0308ber", "über", ""},
		{"δοκιμή-1", "δοκιμή-1", ""},
		{"Über Study", "", `space.yaml:1:8: study: name "Über Study" has the uppercase letter 'Ü'; a study name is lowercase letters (of any script), digits, '-' or '_', starting with a letter or digit, at most 64 bytes (did you mean "über-study"?)`},
		{strings.Repeat("ü", 33), "", "is 66 bytes long, at most 64"},
	} {
		f, err := spacefile.Parse("space.yaml", []byte("study: "+tc.name+"\n"+nameless))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("study %q: %v", tc.name, err)
		case tc.err == "" && f.Study != tc.want:
			t.Errorf("study %q: parsed as %q, want %q", tc.name, f.Study, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("study %q: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

// A file that bounds its study by nothing says so: it is valid (a study
// may run until stopped on purpose), but it ran forever unannounced.
func TestBudgetWarning(t *testing.T) {
	grid := strings.Replace(nameless, "budget: {trials: 3}\n", "algorithm: grid\n", 1)
	grid = strings.ReplaceAll(grid, "high: 10}", "high: 10, points: 3}")
	grid = strings.ReplaceAll(grid, "high: 15}", "high: 15, points: 3}")
	for _, tc := range []struct{ text, want string }{
		{nameless, ""},
		{strings.Replace(nameless, "budget: {trials: 3}\n", "", 1), "space.yaml:1:1: budget: warning: no trials, timeout or max_resource_total: the study runs until it is stopped"},
		{strings.Replace(nameless, "budget: {trials: 3}", "budget: {retries: 2}", 1), "space.yaml:2:1: budget: warning: no trials, timeout or max_resource_total"},
		{strings.Replace(nameless, "budget: {trials: 3}", "budget: {timeout: 1h}", 1), ""},
		{strings.Replace(nameless, "budget: {trials: 3}", "budget: {max_resource_total: 100}", 1), ""},
		{grid, ""}, // a grid ends by itself
	} {
		f, err := spacefile.Parse("space.yaml", []byte(tc.text))
		if err != nil {
			t.Fatalf("%v\n%s", err, tc.text)
		}
		got := ""
		if w := f.BudgetWarning(); w != nil {
			got = w.Error()
		}
		if !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
			t.Errorf("BudgetWarning() = %q, want %q\n%s", got, tc.want, tc.text)
		}
	}
}
