package exec

import (
	"fmt"
	"strconv"
	"strings"

	"automl/trial"
)

// trialVars are the placeholders every trial has, besides its parameters
// and the resource.
var trialVars = []string{"trial_id", "study", "seed", "resource_from", "resource_to", "checkpoint_dir", "params_file"}

// placeholders lists the {name} placeholders of text: a brace, an
// identifier, a brace. Any other brace is literal text.
func placeholders(text string) []string {
	var out []string
	scan(text, func(name string) string { out = append(out, name); return "" })
	return out
}

// scan calls f for each placeholder and returns text with each replaced by
// f's result.
func scan(text string, f func(name string) string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		if text[i] == '{' {
			j := i + 1
			for j < len(text) && isIdent(text[j], j == i+1) {
				j++
			}
			if j > i+1 && j < len(text) && text[j] == '}' {
				b.WriteString(f(text[i+1 : j]))
				i = j + 1
				continue
			}
		}
		b.WriteByte(text[i])
		i++
	}
	return b.String()
}

func isIdent(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// vars are the values placeholders take in one trial.
func vars(spec trial.Spec, paramsFile string) map[string]string {
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	v := map[string]string{
		"trial_id":       strconv.Itoa(spec.Key.ID),
		"study":          spec.Key.Study,
		"seed":           strconv.FormatUint(spec.Seed, 10),
		"resource_from":  num(spec.From),
		"resource_to":    num(spec.To),
		"checkpoint_dir": spec.CheckpointDir,
		"params_file":    paramsFile,
	}
	if spec.Resource != "" && spec.To > 0 {
		v[spec.Resource] = num(spec.To)
	}
	for _, nv := range spec.Params {
		v[nv.Name] = nv.Value.String()
	}
	return v
}

// expand fills the placeholders of text; a name without a value is an
// error (a conditional parameter absent from this trial, or the resource
// of a job without a span).
func expand(text string, v map[string]string) (string, error) {
	var missing []string
	out := scan(text, func(name string) string {
		val, ok := v[name]
		if !ok {
			missing = append(missing, name)
		}
		return val
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%q: no value for {%s} in this trial", text, strings.Join(missing, "}, {"))
	}
	return out, nil
}
