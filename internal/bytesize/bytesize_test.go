package bytesize

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]int64{
		"512MiB": 512 << 20, "512 MiB": 512 << 20, "1.5GiB": 3 << 29, "2G": 2 << 30, "300m": 300 << 20,
		"300MB": 300e6, "1kb": 1000, "4096": 4096, "10B": 10, "1TiB": 1 << 40, "0": 0, "64KiB": 64 << 10,
	}
	for in, want := range good {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]string{
		"12XB": `unknown unit "XB"`, "MiB": "want a number", "": "want a number",
		"1.2.3G": "is not a number", "-5MiB": "want a number", "9999999TiB": "too large",
	}
	for in, want := range bad {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): err %v, want %q", in, err, want)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1 KiB", 340 << 10: "340 KiB", 2411724: "2.3 MiB",
		1 << 20: "1 MiB", 150 << 20: "150 MiB", 3 << 30: "3 GiB",
	} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}
