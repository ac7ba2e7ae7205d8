package trial

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// oldMetricsUnmarshal is the map-of-RawMessage decoder that the scanner in
// event.go replaced: the reference the scanner must agree with.
func oldMetricsUnmarshal(data []byte) (Metrics, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, nil
	}
	out := make(Metrics, len(raw))
	for k, v := range raw {
		var x float64
		if err := json.Unmarshal(v, &x); err != nil {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return nil, err
			}
			if x, err = strconv.ParseFloat(s, 64); err != nil {
				return nil, err
			}
		}
		out[k] = x
	}
	return out, nil
}

var metricsJSONCases = []string{
	`{}`, `null`, ` { "loss" : 0.25 , "acc":1 }`, `{"nan":"NaN","inf":"+Inf","ninf":"-Inf","s":"1.5"}`,
	`{"z":null}`, `{"dup":1,"dup":2}`, `{"e":1e-300,"E":-2.5E+10,"zero":0,"negz":-0}`, `{"\u006coss":1,"été":2}`,
	`{"over":1e400}`, `{"over":"1e400"}`, `{"b":true}`, `{"a":[1]}`, `{"a":{"b":1}}`, `{"s":"abc"}`, `[1]`, `"x"`, `1`,
	`{"a":1`, `{"a":01}`, `{"a":.5}`, `{"a":1.}`, `{"a":+1}`, `{"hex":"0x1p-2"}`,
	`{"k":"","k":"Inf"}`, `{"k":1,"k":"x"}`, `{"k":true,"j":2,"k":3}`,
}

// TestMetricsScannerMatchesDecoder: the scanner returns what the old
// decoder did, value for value (NaN included), or an error where it did.
func TestMetricsScannerMatchesDecoder(t *testing.T) {
	for _, in := range metricsJSONCases {
		checkMetricsAgree(t, []byte(in))
	}
}

func FuzzMetricsUnmarshal(f *testing.F) {
	for _, in := range metricsJSONCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkMetricsAgree(t, data) })
}

func checkMetricsAgree(t *testing.T, data []byte) {
	t.Helper()
	var got Metrics
	gotErr := json.Unmarshal(data, &got)
	want, wantErr := oldMetricsUnmarshal(data)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("%s: error %v, the old decoder's %v", data, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	if (got == nil) != (want == nil) || len(got) != len(want) {
		t.Fatalf("%s: got %v, want %v", data, got, want)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || (g != w && !(math.IsNaN(g) && math.IsNaN(w))) || math.Signbit(g) != math.Signbit(w) {
			t.Fatalf("%s: %q = %v (present %v), want %v", data, k, g, ok, w)
		}
	}
}

func BenchmarkMetricsUnmarshal(b *testing.B) {
	data := []byte(`{"acc":0.9125,"loss":0.2417,"val_acc":0.8875,"val_loss":0.3309}`)
	b.ReportAllocs()
	for b.Loop() {
		var m Metrics
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// oldMetrics decodes with the old decoder, for the before/after benchmark.
type oldMetrics Metrics

func (o *oldMetrics) UnmarshalJSON(b []byte) error {
	m, err := oldMetricsUnmarshal(b)
	*o = oldMetrics(m)
	return err
}

func BenchmarkMetricsUnmarshalOld(b *testing.B) {
	data := []byte(`{"acc":0.9125,"loss":0.2417,"val_acc":0.8875,"val_loss":0.3309}`)
	b.ReportAllocs()
	for b.Loop() {
		var m oldMetrics
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}
