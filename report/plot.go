package report

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"automl/trial"
)

// PlotKinds are the plots WritePlot draws.
var PlotKinds = []string{"history", "importance", "parallel", "curves", "timeline", "slice", "pareto", "hypervolume"}

// ErrBadPlot matches (errors.Is) WritePlot's errors about its options:
// an unknown kind, format or parameter; and ParseRefPoint's.
var ErrBadPlot = errors.New("bad plot options")

// plotError is an error about plot options; it reads as its message alone.
type plotError string

func (e plotError) Error() string        { return string(e) }
func (e plotError) Is(target error) bool { return target == ErrBadPlot }

func badPlot(format string, args ...any) error { return plotError(fmt.Sprintf(format, args...)) }

// PlotOptions choose one plot and its file format.
type PlotOptions struct {
	Kind   string // one of PlotKinds
	Param  string // the parameter of a slice plot; the two objectives x,y of a pareto plot
	Format string // png or svg
	// Width and Height in pixels (at 96 dpi); zero: 1200 x 675.
	Width, Height int
}

const pixelsPerInch = 96

// WritePlot draws one plot of the study with gonum/plot and writes it as
// PNG or SVG.
func WritePlot(w io.Writer, d *Data, o PlotOptions) error {
	p, err := NewPlot(d, o.Kind, o.Param)
	if err != nil {
		return err
	}
	width, height := o.Width, o.Height
	if width == 0 || height == 0 {
		width, height = 1200, 675
	}
	wl := vg.Length(width) * vg.Inch / pixelsPerInch
	hl := vg.Length(height) * vg.Inch / pixelsPerInch
	var c vg.CanvasWriterTo
	switch o.Format {
	case "png", "":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wl, hl), vgimg.UseDPI(pixelsPerInch))}
	case "svg":
		c = vgsvg.New(wl, hl)
	default:
		return badPlot("plot format %q: want png or svg", o.Format)
	}
	margin := vg.Length(12) * vg.Inch / pixelsPerInch
	p.Draw(draw.Crop(draw.New(c), margin, -margin, margin/2, -margin/2))
	_, err = c.WriteTo(w)
	return err
}

// NewPlot builds the named plot.
func NewPlot(d *Data, kind, param string) (*plot.Plot, error) {
	switch kind {
	case "history":
		return historyPlot(d), nil
	case "importance":
		return importancePlot(d), nil
	case "parallel":
		return parallelPlot(d), nil
	case "curves":
		return curvesPlot(d), nil
	case "timeline":
		return timelinePlot(d), nil
	case "pareto":
		return paretoPlot(d, param)
	case "hypervolume":
		return hypervolumePlot(d)
	case "slice":
		for j := range d.Params {
			if d.Params[j].Name == param {
				return slicePlot(d, j), nil
			}
		}
		names := make([]string, len(d.Params))
		for j, p := range d.Params {
			names[j] = p.Name
		}
		if param == "" {
			return nil, badPlot("the slice plot needs a parameter (--param): one of %s", strings.Join(names, ", "))
		}
		return nil, badPlot("no parameter %q; parameters: %s", param, strings.Join(names, ", "))
	}
	return nil, badPlot("unknown plot %q; one of %s", kind, strings.Join(PlotKinds, ", "))
}

// The page's palette, so exported plots match the HTML report.
var (
	inkColor  = color.RGBA{0x1f, 0x24, 0x33, 0xff}
	mutedInk  = color.RGBA{0x6b, 0x72, 0x80, 0xff}
	gridColor = color.RGBA{0xee, 0xf0, 0xf5, 0xff}
	bestColor = color.RGBA{0xe1, 0x1d, 0x48, 0xff}
	rungColor = color.RGBA{0xa8, 0x55, 0xf7, 0xff}
)

var stateColors = map[trial.State]color.RGBA{
	trial.Completed: {0x25, 0x63, 0xeb, 0xff}, trial.Running: {0x16, 0xa3, 0x4a, 0xff}, trial.Pending: {0x9c, 0xa3, 0xaf, 0xff},
	trial.Paused: {0xa8, 0x55, 0xf7, 0xff}, trial.Pruned: {0xf5, 0x9e, 0x0b, 0xff}, trial.Stopped: {0x64, 0x74, 0x8b, 0xff},
	trial.Failed: {0xdc, 0x26, 0x26, 0xff}, trial.Imported: {0x0d, 0x94, 0x88, 0xff},
}

func stateColor(s trial.State) color.RGBA {
	if c, ok := stateColors[s]; ok {
		return c
	}
	return mutedInk
}

// ramp is the page's light-to-dark blue scale, t in [0, 1].
func ramp(t float64) color.RGBA {
	stops := [][3]float64{{219, 234, 254}, {147, 197, 253}, {59, 130, 246}, {29, 78, 216}, {30, 27, 75}}
	t = math.Max(0, math.Min(1, t)) * float64(len(stops)-1)
	i := min(len(stops)-2, int(t))
	f := t - float64(i)
	mix := func(k int) uint8 { return uint8(math.Round(stops[i][k] + (stops[i+1][k]-stops[i][k])*f)) }
	return color.RGBA{mix(0), mix(1), mix(2), 0xff}
}

func withAlpha(c color.RGBA, a float64) color.NRGBA {
	return color.NRGBA{c.R, c.G, c.B, uint8(math.Round(255 * a))}
}

// newStyledPlot is a plot with the report's look: a title, light grid
// lines, muted axes.
func newStyledPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	sans := func(f *font.Font) { f.Typeface, f.Variant = "Liberation", "Sans" }
	sans(&p.Title.TextStyle.Font)
	sans(&p.X.Label.TextStyle.Font)
	sans(&p.Y.Label.TextStyle.Font)
	sans(&p.X.Tick.Label.Font)
	sans(&p.Y.Tick.Label.Font)
	sans(&p.Legend.TextStyle.Font)
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 15
	p.Title.TextStyle.Font.Weight = xfont.WeightBold
	p.Title.TextStyle.Color = inkColor
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Color = inkColor
		a.Label.TextStyle.Font.Size = 12
		a.Tick.Label.Color = mutedInk
		a.Tick.Label.Font.Size = 10.5
		a.Color = color.RGBA{0xc9, 0xcd, 0xd8, 0xff}
		a.Tick.Color = a.Color
		a.Padding = vg.Points(4)
	}
	p.Legend.Top = true
	p.Legend.TextStyle.Color = inkColor
	p.Legend.TextStyle.Font.Size = 10.5
	return p
}

// useLog says whether values span enough orders of magnitude (and are
// positive) to be read on a log axis, as the page decides.
func useLog(xs []float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo > 0 && hi/lo > 100
}

func setLogY(p *plot.Plot) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
}

// note draws a plot that says why it is empty.
func note(p *plot.Plot, text string) *plot.Plot {
	p.Title.Text += " — " + text
	p.HideAxes()
	return p
}

// formatShort writes x with at most 6 significant digits.
func formatShort(x float64) string {
	return strconv.FormatFloat(x, 'g', 6, 64)
}
