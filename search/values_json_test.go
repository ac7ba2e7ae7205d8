package search_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"automl/search/value"
)

// oldValuesUnmarshal is the json.Decoder-based decoder that the scanner in
// point.go replaced: the reference the scanner must agree with.
func oldValuesUnmarshal(data []byte) (value.Values, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		if t == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("params: want a JSON object")
	}
	out := value.Values{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		var v value.Value
		if err := v.UnmarshalJSON(raw); err != nil {
			return nil, err
		}
		out = append(out, value.NamedValue{Name: name, Value: v})
	}
	return out, nil
}

var valuesJSONCases = []string{
	`{}`, `null`, ` { "a" : 1 , "b":2.5 }`, `{"lr":0.001,"layers":3,"opt":"adam","bn":true,"off":false,"none":null}`,
	`{"big":1e+21,"neg":-7,"f":-0.5,"e":1E-3,"i":9007199254740993,"huge":123456789012345678901234567890}`,
	`{"quoted":"say \"hi\"","uni":"\u00e9t\u00e9","raw":"été","tab":"a\tb","name with space":"x"}`,
	`{"\u006e":"escaped key"}`, `{"dup":1,"dup":2}`, `{"nan":"NaN"}`, "{\"bad\":\"\xff\"}",
	`[1, 2]`, `{"a": [1]}`, `{"a": {"b": 1}}`, `{"a": 1`, `"text"`, `{"a" 1}`, `{"a":1,}`, `{"a":tru}`, `{"a":1.5x}`,
}

// TestValuesScannerMatchesDecoder: for valid and invalid documents the
// scanner returns what the old decoder did (values and kinds, or an error).
func TestValuesScannerMatchesDecoder(t *testing.T) {
	for _, in := range valuesJSONCases {
		checkValuesAgree(t, []byte(in))
	}
}

func FuzzValuesUnmarshal(f *testing.F) {
	for _, in := range valuesJSONCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // json.Unmarshal rejects it before UnmarshalJSON runs
		}
		checkValuesAgree(t, data)
	})
}

func checkValuesAgree(t *testing.T, data []byte) {
	t.Helper()
	var got value.Values
	gotErr := json.Unmarshal(data, &got)
	want, wantErr := oldValuesUnmarshal(data)
	if !json.Valid(data) {
		wantErr = fmt.Errorf("invalid JSON")
	}
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("%s: error %v, the old decoder's %v", data, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	if (got == nil) != (want == nil) || len(got) != len(want) {
		t.Fatalf("%s: got %#v, want %#v", data, got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Value != want[i].Value {
			t.Fatalf("%s: value %d = %s %v (kind %v), want %s %v (kind %v)", data, i,
				got[i].Name, got[i].Value, got[i].Value.Kind(), want[i].Name, want[i].Value, want[i].Value.Kind())
		}
	}
}

func BenchmarkValuesUnmarshal(b *testing.B) {
	data := []byte(`{"learning_rate":0.0013,"num_layers":3,"optimizer":"adam","batch_norm":true,"dropout":0.25}`)
	b.ReportAllocs()
	for b.Loop() {
		var vs value.Values
		if err := json.Unmarshal(data, &vs); err != nil {
			b.Fatal(err)
		}
	}
}

// oldValues decodes with the old decoder, for the before/after benchmark.
type oldValues value.Values

func (o *oldValues) UnmarshalJSON(b []byte) error {
	vs, err := oldValuesUnmarshal(b)
	*o = oldValues(vs)
	return err
}

func BenchmarkValuesUnmarshalOld(b *testing.B) {
	data := []byte(`{"learning_rate":0.0013,"num_layers":3,"optimizer":"adam","batch_norm":true,"dropout":0.25}`)
	b.ReportAllocs()
	for b.Loop() {
		var vs oldValues
		if err := json.Unmarshal(data, &vs); err != nil {
			b.Fatal(err)
		}
	}
}
