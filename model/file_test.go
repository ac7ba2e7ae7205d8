package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func modelBytes(t testing.TB, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	single := mustNew(t, hiddenSpec(Multiclass, 3))
	s2 := hiddenSpec(Multiclass, 3)
	s2.Info.Trial = 9
	ens, err := NewEnsemble([]*Model{single, mustNew(t, s2)}, []int{3, 1})
	if err != nil {
		t.Fatal(err)
	}
	scored := ens.WithMetrics(map[string]float64{"val_accuracy": 0.9})
	if ens.Info().Metrics != nil || scored.Info().Metrics["val_accuracy"] != 0.9 || scored.Info().Trial != 0 || scored.Info().Target != "y" {
		t.Errorf("ensemble info %+v, with metrics %+v", ens.Info(), scored.Info())
	}
	ens = scored
	recs := [][]string{{"a", "1"}, {"b", ""}, {"zz", "17.5"}}
	for _, m := range []*Model{single, ens} {
		path := filepath.Join(dir, m.Kind()+".automl")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		back, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Info(), m.Info()) || !reflect.DeepEqual(back.Inputs(), m.Inputs()) || back.Kind() != m.Kind() {
			t.Errorf("%s: loaded %+v, saved %+v", m.Kind(), back.Info(), m.Info())
		}
		want, err := m.PredictRecords([]string{"c", "x"}, recs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := back.PredictRecords([]string{"c", "x"}, recs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: loaded model predicts %+v, saved %+v", m.Kind(), got, want)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("the directory holds %d files after two saves (a temporary file left?)", len(ents))
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := modelBytes(t, mustNew(t, linearSpec()))
	var hb bytes.Buffer
	if err := testHoldout().Write(&hb); err != nil {
		t.Fatal(err)
	}
	flip := bytes.Clone(good)
	flip[len(modelMagic)+20] ^= 0x40
	version := bytes.Clone(good)
	binary.LittleEndian.PutUint32(version[len(modelMagic):], FormatVersion+1)
	cases := map[string]struct {
		content []byte
		want    string
	}{
		"flipped bit":  {flip, "checksum mismatch"},
		"torn":         {good[:len(good)-10], "checksum mismatch"},
		"header only":  {good[:len(modelMagic)+3], "truncated"},
		"new version":  {version, "format version 2; this program reads version 1"},
		"holdout file": {hb.Bytes(), "not an automl model file"},
		"text":         {[]byte("a,b\n1,2\n"), "not an automl model file"},
		"empty":        {nil, "not an automl model file"},
	}
	for name, tc := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".automl")
		if err := os.WriteFile(path, tc.content, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrFormat naming %s and saying %q", name, err, path, tc.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "absent.automl")); err == nil || !strings.Contains(err.Error(), "absent.automl") {
		t.Errorf("absent file: %v", err)
	}
	// A holdout file is checked the same way.
	hp := filepath.Join(dir, "h.holdout")
	torn := hb.Bytes()[:hb.Len()-1]
	if err := os.WriteFile(hp, torn, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHoldout(hp); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), hp) {
		t.Errorf("torn holdout: %v", err)
	}
	if err := os.WriteFile(hp, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHoldout(hp); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "not an automl holdout file") {
		t.Errorf("model file read as a holdout: %v", err)
	}
}

func testHoldout() *Holdout {
	return &Holdout{Study: "s", Trial: 2, Task: Multiclass, Classes: []string{"a", "b", "c"},
		Val:  &Split{Rows: 2, Digest: "d1", Y: []float32{0, 2}, Width: 3, P: []float32{.7, .2, .1, .1, .1, .8}},
		Test: &Split{Rows: 1, Digest: "d2", Y: []float32{1}, Width: 3, P: []float32{.2, .5, .3}}}
}

func TestHoldoutRoundTripAndChecks(t *testing.T) {
	path := filepath.Join(t.TempDir(), HoldoutFile)
	h := testHoldout()
	if err := h.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadHoldout(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, h) {
		t.Errorf("loaded %+v, saved %+v", back, h)
	}
	for name, edit := range map[string]func(h *Holdout){
		"no validation": func(h *Holdout) { h.Val = nil },
		"short P":       func(h *Holdout) { h.Val.P = h.Val.P[:5] },
		"width":         func(h *Holdout) { h.Test.Width = 2; h.Test.P = h.Test.P[:2] },
		"class range":   func(h *Holdout) { h.Val.Y[1] = 3 },
		"labels":        func(h *Holdout) { h.Test.Rows = 2 },
		"task":          func(h *Holdout) { h.Task = "ranking" },
	} {
		h := testHoldout()
		edit(h)
		var b bytes.Buffer
		if err := h.Write(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadHoldout(&b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", name, err)
		}
	}
}
