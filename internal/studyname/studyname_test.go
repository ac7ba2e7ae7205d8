package studyname

import (
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Default names keep the letters of every script: über.yaml was "ber".
func TestFromFileKeepsLetters(t *testing.T) {
	for file, want := range map[string]string{
		"über.yaml":                       "über",
		"Über.yaml":                       "über",
		"u\u0308ber.yaml":                 "über", // decomposed, as macOS writes file names
		"学习率.yaml":                        "学习率",
		"δοκιμή 2.yml":                    "δοκιμή-2",
		"examples/quickstart/space.yaml":  "space",
		"mlp-breast-cancer.yaml":          "mlp-breast-cancer",
		"my_study.v2.yaml":                "my_study-v2",
		"__x__.yaml":                      "x",
		"!!!.yaml":                        "study",
		strings.Repeat("ü", 40) + ".yaml": strings.Repeat("ü", 32),
	} {
		if got := FromFile(file); got != want {
			t.Errorf("FromFile(%q) = %q, want %q", file, got, want)
		}
		if err := Check(FromFile(file)); err != nil {
			t.Errorf("FromFile(%q) = %q, which is not valid: %v", file, FromFile(file), err)
		}
	}
}

// oldFromFile is the default name before names kept other scripts; an
// ASCII file name must still give the same study, or an old study would
// not continue.
func oldFromFile(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	n := strings.Trim(b.String(), "-_")
	if n == "" {
		n = "study"
	}
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

func TestASCIIFileNamesGiveTheNamesTheyAlwaysGave(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const chars = "abcXYZ019-_. +!"
	for range 20000 {
		b := make([]byte, 1+rng.IntN(80))
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
		}
		file := string(b) + ".yaml"
		old := oldFromFile(file)
		if strings.TrimRight(old, "-_") != old {
			continue // cut at 64 bytes into a name ending in '-': not valid then either
		}
		if got := FromFile(file); got != old {
			t.Fatalf("FromFile(%q) = %q, was %q", file, got, old)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, ok := range []string{"quickstart", "mlp-breast-cancer", "a_b-2", "über", "学习", "δοκιμή", "हिन्दी", "9lives", strings.Repeat("a", 64)} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%q) = %v, want valid", ok, err)
		}
	}
	for bad, why := range map[string]string{
		"":                      "is empty",
		"My Study":              `uppercase letter 'M'`,
		"Über":                  `uppercase letter 'Ü'`,
		"a b":                   `has ' ' (U+0020)`,
		"a.b":                   `has '.'`,
		"a>b":                   `has '>'`,
		"-a":                    "starts with '-'",
		"_a":                    "starts with '_'",
		"u\u0308ber":            "composed form",
		strings.Repeat("a", 65): "65 bytes long",
		strings.Repeat("ü", 33): "66 bytes long",
	} {
		err := Check(bad)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("Check(%q) = %v, want an error saying %q", bad, err, why)
		}
	}
}

var tokenRe = regexp.MustCompile(`^[a-z0-9_-]{1,128}$`)

// Every valid name has a token NATS takes everywhere (subject tokens,
// consumer names, key-value keys), that gives the name back, and no two
// names share one.
func TestTokens(t *testing.T) {
	for name, want := range map[string]string{"quickstart": "quickstart", "über": "_xn--ber-goa", "学习": "_xn--vjq503a"} {
		if got := Token(name); got != want {
			t.Errorf("Token(%q) = %q, want %q", name, got, want)
		}
	}
	letters := []rune("abz09-_üßçéø学习率δοκιμήжыхहिन्दीا")
	rng := rand.New(rand.NewPCG(3, 4))
	seen := map[string]string{}
	for range 20000 {
		var b strings.Builder
		for i := 0; i < 1+rng.IntN(30); i++ {
			b.WriteRune(letters[rng.IntN(len(letters))])
		}
		name := Suggest(b.String())
		if name == "" {
			continue
		}
		if err := Check(name); err != nil {
			t.Fatalf("Suggest(%q) = %q, not valid: %v", b.String(), name, err)
		}
		tok := Token(name)
		if !tokenRe.MatchString(tok) {
			t.Fatalf("Token(%q) = %q: not a NATS-safe token", name, tok)
		}
		if back, ok := FromToken(tok); !ok || back != name {
			t.Fatalf("FromToken(Token(%q)) = %q, %v", name, back, ok)
		}
		if other, dup := seen[tok]; dup && other != name {
			t.Fatalf("%q and %q share the token %q", name, other, tok)
		}
		seen[tok] = name
	}
}

func TestFromTokenRefusesWhatNoNameEncodesTo(t *testing.T) {
	for _, tok := range []string{"", "_", "_abc", "_xn--abc-", "Quickstart", "a.b", "_xn--ber-goa-", "_XN--BER-GOA"} {
		if name, ok := FromToken(tok); ok {
			t.Errorf("FromToken(%q) = %q, want refused", tok, name)
		}
	}
}

func TestSuggestFixesANameAsTyped(t *testing.T) {
	for in, want := range map[string]string{"My Study": "my-study", "Straße 2": "straße-2", "-x-": "x", "": ""} {
		if got := Suggest(in); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
