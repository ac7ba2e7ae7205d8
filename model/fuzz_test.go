package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// FuzzRead: no input makes Read or ReadHoldout panic, and a model Read
// accepts predicts without panicking.
func FuzzRead(f *testing.F) {
	good := modelBytes(f, mustNew(f, hiddenSpec(Multiclass, 3)))
	var hb bytes.Buffer
	if err := testHoldout().Write(&hb); err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(hb.Bytes())
	f.Add(good[:len(good)/2])
	f.Add([]byte(modelMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := Read(bytes.NewReader(b)); err == nil {
			predictAnything(m)
		}
		ReadHoldout(bytes.NewReader(b))
	})
}

// FuzzReadBody fuzzes the gob body inside a correct frame (magic, version,
// checksum), which random bytes would almost never reach: what decodes
// must be checked before it is used.
func FuzzReadBody(f *testing.F) {
	for _, s := range []Spec{linearSpec(), hiddenSpec(Multiclass, 3), hiddenSpec(Binary, 2)} {
		f.Add(bodyOf(f, modelBytes(f, mustNew(f, s)), modelMagic))
	}
	var hb bytes.Buffer
	if err := testHoldout().Write(&hb); err != nil {
		f.Fatal(err)
	}
	f.Add(bodyOf(f, hb.Bytes(), holdoutMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		if m, err := Read(bytes.NewReader(framed(modelMagic, body))); err == nil {
			predictAnything(m)
		}
		ReadHoldout(bytes.NewReader(framed(holdoutMagic, body)))
	})
}

func bodyOf(t testing.TB, file []byte, magic string) []byte {
	t.Helper()
	return bytes.Clone(file[len(magic)+4 : len(file)-sha256.Size])
}

func framed(magic string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	binary.Write(&b, binary.LittleEndian, uint32(FormatVersion))
	b.Write(body)
	sum := sha256.Sum256(body)
	b.Write(sum[:])
	return b.Bytes()
}

// predictAnything predicts a few rows of plausible and odd cells under the
// model's own header.
func predictAnything(m *Model) {
	var header []string
	for _, in := range m.Inputs() {
		header = append(header, in.Name)
	}
	var recs [][]string
	for _, cell := range []string{"1", "", "a", "-3.5", "zz"} {
		rec := make([]string, len(header))
		for i := range rec {
			rec[i] = cell
		}
		recs = append(recs, rec)
	}
	m.PredictRecords(header, recs, Options{})
	rows := []map[string]string{{}}
	for _, h := range header {
		rows[0][h] = "0"
	}
	m.Predict(rows, Options{IgnoreExtra: true})
}

// FuzzParseFloat: the fast path agrees with strconv.ParseFloat bit for
// bit, errors included.
func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"1", "-0", "+3.25", "0.1", ".5", "5.", "123456789012345", "1234567890123456", "1e5", "-", ".", "", "nan", "Inf", "0x1p3", "1_0", "00012.50", "9.999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gerr := parseFloat(s)
		want, werr := strconv.ParseFloat(s, 64)
		if (gerr == nil) != (werr == nil) || math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv says %v, %v", s, got, gerr, want, werr)
		}
	})
}

// TestParseFloatAgreesOnRandomDecimals checks the fast path on a million
// random plain decimals of up to 17 digits (both sides of its limit).
func TestParseFloatAgreesOnRandomDecimals(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 1_000_000 {
		digits := 1 + rng.IntN(17)
		var b []byte
		if rng.IntN(2) == 0 {
			b = append(b, '-')
		}
		point := rng.IntN(digits + 1)
		for d := 0; d < digits; d++ {
			if d == point {
				b = append(b, '.')
			}
			b = append(b, byte('0'+rng.IntN(10)))
		}
		s := string(b)
		got, err := parseFloat(s)
		want, werr := strconv.ParseFloat(s, 64)
		if err != nil || werr != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv says %v, %v", s, got, err, want, werr)
		}
	}
}
