package main

import (
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	good := map[string]int64{
		"512MiB": 512 << 20, "512 MiB": 512 << 20, "1.5GiB": 3 << 29, "2G": 2 << 30, "300m": 300 << 20,
		"300MB": 300e6, "1kb": 1000, "4096": 4096, "10B": 10, "1TiB": 1 << 40, "0": 0,
	}
	for in, want := range good {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]string{
		"12XB": `unknown unit "XB"`, "MiB": "want a number", "": "want a number",
		"1.2.3G": "is not a number", "-5MiB": "want a number", "9999999TiB": "too large",
	}
	for in, want := range bad {
		if _, err := parseBytes(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseBytes(%q): err %v, want %q", in, err, want)
		}
	}
}
