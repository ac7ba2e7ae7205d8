package worker

import (
	"slices"
	"strings"
	"testing"
)

func TestParseNvidiaSMI(t *testing.T) {
	gpus, err := parseNvidiaSMI("0, GPU-8f3a, NVIDIA A100-SXM4-80GB, 81920 MiB\n1, GPU-77c1, NVIDIA A100-SXM4-80GB, 81920 MiB\n\n")
	if err != nil || len(gpus) != 2 || gpus[1] != (GPU{Index: "1", UUID: "GPU-77c1", Name: "NVIDIA A100-SXM4-80GB", Memory: "81920 MiB"}) {
		t.Fatalf("%+v %v", gpus, err)
	}
	for _, bad := range []string{"0, GPU-1, A100", "x, GPU-1, A100, 1 MiB"} {
		if _, err := parseNvidiaSMI(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestLayout(t *testing.T) {
	four := []GPU{{Index: "0"}, {Index: "1"}, {Index: "2"}, {Index: "3"}}
	cases := []struct {
		name         string
		want         string
		perTrial     int
		slots        int
		found        []GPU
		findErr      error
		n            int
		layout       [][]string
		errHas, note string
	}{
		{name: "all, one each", want: "all", perTrial: 1, found: four, n: 4, layout: [][]string{{"0"}, {"1"}, {"2"}, {"3"}}},
		{name: "all, two each", want: "all", perTrial: 2, found: four, n: 2, layout: [][]string{{"0", "1"}, {"2", "3"}}},
		{name: "three each leaves one", want: "all", perTrial: 3, found: four, n: 1, layout: [][]string{{"0", "1", "2"}}, note: "1 GPU(s) unused"},
		{name: "chosen", want: "3,1", perTrial: 1, found: four, n: 2, layout: [][]string{{"3"}, {"1"}}},
		{name: "fewer slots", want: "all", perTrial: 1, slots: 2, found: four, n: 2, layout: [][]string{{"0"}, {"1"}}},
		{name: "none hides GPUs", want: "none", perTrial: 1, slots: 3, found: four, n: 3, layout: [][]string{{}, {}, {}}},
		{name: "all without nvidia-smi", want: "all", perTrial: 1, findErr: ErrNoNvidiaSMI, n: 8, note: "8 CPU slots"},
		{name: "all, no GPU", want: "all", perTrial: 1, slots: 2, n: 2, note: "no GPUs found"},
		{name: "unknown index", want: "0,7", perTrial: 1, found: four, errHas: `no GPU "7"`},
		{name: "twice", want: "1,1", perTrial: 1, found: four, errHas: "given twice"},
		{name: "chosen without nvidia-smi", want: "0", perTrial: 1, findErr: ErrNoNvidiaSMI, errHas: "--gpus none"},
		{name: "too many per trial", want: "all", perTrial: 5, found: four, errHas: "only 4 GPUs"},
		{name: "zero per trial", want: "all", perTrial: 0, found: four, errHas: "--gpus-per-trial"},
		// A million CPU slots would be a million trainer processes (and
		// the layout a million entries before any check).
		{name: "slots past the limit", want: "none", perTrial: 1, slots: 1_000_000, errHas: "--slots must be 0 to 1024 (0: the default), got 1000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, layout, note, err := Layout(c.want, c.perTrial, c.slots, 8, c.found, c.findErr)
			if c.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("err %v, want one saying %q", err, c.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != c.n || !slices.EqualFunc(layout, c.layout, slices.Equal) || (layout == nil) != (c.layout == nil) {
				t.Fatalf("%d slots %q, want %d %q", n, layout, c.n, c.layout)
			}
			if !strings.Contains(note, c.note) {
				t.Errorf("note %q lacks %q", note, c.note)
			}
		})
	}
}
