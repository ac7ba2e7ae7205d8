package spacefile_test

import (
	"strings"
	"testing"

	"automl/spacefile"
)

// The length bounds of parameter names (128 bytes), pools (64) and a
// plugin's sha256 (64 hex digits, either case) hold at their edges: they
// are checked apart from the patterns, which have no bounded repetition
// (bench/startup: those compiled at every process start).
func TestNameLengthBounds(t *testing.T) {
	space := func(param, trainer string) string {
		return "objective: {metric: loss, direction: minimize}\ntrainer: {" + trainer + "}\nparameters:\n  " + param + ": {type: float, low: 0, high: 1}\n"
	}
	hex := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		name, text, wantErr string
	}{
		{"param of 128", space("p"+strings.Repeat("a", 127), "plugin: ./p"), ""},
		{"param of 129", space("p"+strings.Repeat("a", 128), "plugin: ./p"), "parameter"},
		{"param of 1", space("p", "plugin: ./p"), ""},
		{"param with a bad first byte", space("1p", "plugin: ./p"), "parameter"},
		{"pool of 64", space("x", "plugin: ./p, pool: "+strings.Repeat("g", 64)), ""},
		{"pool of 65", space("x", "plugin: ./p, pool: "+strings.Repeat("g", 65)), "pool"},
		{"pool with a capital", space("x", "plugin: ./p, pool: Gpu"), "pool"},
		{"sha256 of 64", space("x", "plugin: ./p, sha256: "+hex), ""},
		{"sha256 in capitals", space("x", "plugin: ./p, sha256: "+strings.ToUpper(hex)), ""},
		{"sha256 of 63", space("x", "plugin: ./p, sha256: "+hex[1:]), "sha256"},
		{"sha256 of 65", space("x", "plugin: ./p, sha256: "+hex+"0"), "sha256"},
		{"sha256 not hex", space("x", "plugin: ./p, sha256: "+hex[1:]+"g"), "sha256"},
	} {
		_, err := spacefile.Parse("space.yaml", []byte(tc.text))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && err == nil:
			t.Errorf("%s: accepted", tc.name)
		case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
			t.Errorf("%s: %v (want it to name %s)", tc.name, err, tc.wantErr)
		}
	}
}
