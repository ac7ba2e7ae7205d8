// Package studyname is the rule for study names. A name is what people
// read and type, in any script: lowercase letters, digits, '-' and '_',
// starting with a letter or digit, at most 64 bytes of UTF-8, in Unicode's
// composed form (NFC), so that "über" typed on two keyboards is one study.
//
// NATS takes fewer characters than that where a name travels (subject
// tokens, consumer names, key-value keys: ASCII letters, digits, '-', '_'),
// so a name goes on the wire as its token: an ASCII name is its own token
// (the names of older studies do not change); any other is "_" and its
// Punycode (RFC 3492, the xn-- form of internationalized domain names),
// which no ASCII name can be, since names start with a letter or digit.
package studyname

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// MaxBytes bounds a name's UTF-8 length: 64 ASCII letters, 32 Greek or
// Cyrillic ones, 21 Chinese characters.
const MaxBytes = 64

// maxToken bounds a token, so that the consumer and key names built from
// it stay far below NATS's 255 (a name of 64 bytes encodes to about 100).
const maxToken = 128

// Rule is the rule in words, for messages.
const Rule = "lowercase letters (of any script), digits, '-' or '_', starting with a letter or digit, at most 64 bytes"

// Normal is the composed form (NFC) of a name as typed: the form the
// store and the wire know it by.
func Normal(name string) string { return norm.NFC.String(name) }

// Check says why name is not a valid study name (nil when it is one).
// Name it in its Normal form first: a decomposed name is refused.
func Check(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("is empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("is not valid UTF-8")
	case len(name) > MaxBytes:
		return fmt.Errorf("is %d bytes long, at most %d", len(name), MaxBytes)
	case !norm.NFC.IsNormalString(name):
		return fmt.Errorf("is not in Unicode's composed form (NFC)")
	}
	for i, r := range name {
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			return fmt.Errorf("has the uppercase letter %q", r)
		case i == 0 && !isLetter(r) && !unicode.IsDigit(r):
			return fmt.Errorf("starts with %q, not a letter or digit", r)
		case !allowed(r):
			return fmt.Errorf("has %q (%U)", r, r)
		}
	}
	if len(Token(name)) > maxToken {
		return fmt.Errorf("is too long in its encoded form (%d of at most %d bytes)", len(Token(name)), maxToken)
	}
	return nil
}

func isLetter(r rune) bool { return unicode.IsLetter(r) && !unicode.IsUpper(r) && !unicode.IsTitle(r) }

// allowed: letters, the marks that complete them (accents, the vowel
// signs of Indic scripts), digits, '-' and '_'.
func allowed(r rune) bool {
	return isLetter(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || unicode.IsDigit(r) || r == '-' || r == '_'
}

// Suggest turns any text (a file name, a name with spaces or capitals)
// into a valid name: composed, lowercase, every other character a '-'
// (as ASCII names always were made), trimmed, cut to MaxBytes at a
// character boundary; "" when nothing of it is left.
func Suggest(text string) string {
	var b strings.Builder
	for _, r := range Normal(strings.ToLower(Normal(text))) {
		if allowed(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	n := strings.TrimLeftFunc(b.String(), func(r rune) bool { return !isLetter(r) && !unicode.IsDigit(r) })
	for len(n) > MaxBytes || (n != "" && Check(n) != nil) {
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	return strings.TrimRight(n, "-_")
}

// FromFile is a study's default name: its space file's name without the
// extension (über.yaml is "über"), or "study" when nothing of it is left.
func FromFile(path string) string {
	if n := Suggest(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))); n != "" {
		return n
	}
	return "study"
}

// Token is a valid name as it travels on the wire: itself when it is
// ASCII, else "_" and its Punycode ("über" is "_xn--ber-goa").
func Token(name string) string {
	if isASCII(name) {
		return name
	}
	a, err := idna.Punycode.ToASCII(name)
	if err != nil { // not for a valid name: Punycode encodes any label
		return "_invalid"
	}
	return "_" + a
}

// FromToken is the name a token stands for; false when tok is not the
// token of a valid name.
func FromToken(tok string) (string, bool) {
	name := tok
	if rest, ok := strings.CutPrefix(tok, "_"); ok {
		u, err := idna.Punycode.ToUnicode(rest)
		if err != nil || isASCII(u) {
			return "", false
		}
		name = u
	}
	if Check(name) != nil || Token(name) != tok {
		return "", false
	}
	return name, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
