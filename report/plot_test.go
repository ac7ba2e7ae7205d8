package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/png"
	"io"
	"testing"
)

// TestPlotsRender: every plot draws as a PNG of the asked size with
// something on it, and as well-formed SVG; on the empty study too. (The
// pareto and hypervolume plots are for several objectives: see
// TestParetoPlots.)
func TestPlotsRender(t *testing.T) {
	full := fixtureData(t, 120, false)
	empty := Build(Input{Study: study()})
	for _, kind := range PlotKinds {
		if kind == "pareto" || kind == "hypervolume" {
			continue
		}
		for name, d := range map[string]*Data{"fixture": full, "empty": empty} {
			param := ""
			if kind == "slice" && len(d.Params) > 0 {
				param = d.Params[0].Name
			}
			if kind == "slice" && param == "" {
				continue
			}
			var b bytes.Buffer
			if err := WritePlot(&b, d, PlotOptions{Kind: kind, Param: param, Format: "png", Width: 800, Height: 450}); err != nil {
				t.Fatalf("%s %s: %v", kind, name, err)
			}
			img, err := png.Decode(&b)
			if err != nil {
				t.Fatalf("%s %s: %v", kind, name, err)
			}
			if sz := img.Bounds().Size(); sz.X != 800 || sz.Y != 450 {
				t.Errorf("%s %s: %v pixels, want 800x450", kind, name, sz)
			}
			if n := colours(img); name == "fixture" && n < 8 {
				t.Errorf("%s: only %d colours: blank?", kind, n)
			}
			b.Reset()
			if err := WritePlot(&b, d, PlotOptions{Kind: kind, Param: param, Format: "svg"}); err != nil {
				t.Fatalf("%s %s svg: %v", kind, name, err)
			}
			if err := wellFormed(&b); err != nil {
				t.Errorf("%s %s: SVG: %v", kind, name, err)
			}
		}
	}
}

func TestPlotOptionErrors(t *testing.T) {
	d := fixtureData(t, 30, false)
	for _, o := range []PlotOptions{{Kind: "pie"}, {Kind: "slice"}, {Kind: "slice", Param: "nope"}, {Kind: "history", Format: "gif"}} {
		if err := WritePlot(io.Discard, d, o); !errors.Is(err, ErrBadPlot) {
			t.Errorf("%+v: %v, want ErrBadPlot", o, err)
		}
	}
}

func colours(img image.Image) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	return len(seen)
}

func wellFormed(r io.Reader) error {
	dec := xml.NewDecoder(r)
	for {
		if _, err := dec.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
