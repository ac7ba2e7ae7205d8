package spacefile

import (
	"encoding/json"
	"math"
	"strings"

	"automl/search"
	"automl/search/value"
	"automl/trial"
)

// checkJobSize refuses a file whose jobs could be over trial.MaxSpecBytes,
// the most a job may weigh in transit: such a study would fail at its
// first dispatch, so it is told now, at the setting that makes jobs heavy.
// The estimate is the largest job the file can make: the trainer section
// as is, every parameter at its longest value, and a key and resource
// span of the widest kind.
func (p *parser) checkJobSize(s *File) {
	params := make(value.Values, 0, len(s.Space.Params))
	longest, longestName := 0, ""
	for _, prm := range s.Space.Params {
		v := widestValue(prm)
		params = append(params, value.NamedValue{Name: prm.Name, Value: v})
		if n := jsonLen(v); n > longest {
			longest, longestName = n, prm.Name
		}
	}
	job := trial.Spec{
		Key:         trial.Key{Study: s.Study, Incarnation: strings.Repeat("x", 32), ID: math.MaxInt32, Attempt: math.MaxInt32},
		Params:      params,
		Trainer:     s.Trainer,
		Objective:   s.Objective,
		Resource:    s.Resource,
		From:        -math.MaxFloat64,
		To:          -math.MaxFloat64,
		MaxResource: -math.MaxFloat64,
		Checkpoint:  strings.Repeat("x", 256),
		Seed:        math.MaxUint64,
	}
	size := jsonLen(job)
	if size <= trial.MaxSpecBytes {
		return
	}
	msg := "its jobs could be %d bytes, over the %d-byte limit of a job: keep data out of the space file and point to files instead"
	heaviest, weight := "", 0
	for k, v := range s.Trainer.Config {
		if n := jsonLen(v); n > weight || (n == weight && k < heaviest) {
			heaviest, weight = k, n
		}
	}
	if weight >= longest {
		p.addError(s.ConfigError(heaviest, msg, size, trial.MaxSpecBytes), s.pos.trainer, "trainer", s)
		return
	}
	p.addError(s.ParamError(longestName, msg, size, trial.MaxSpecBytes), s.pos.trainer, "parameters", s)
}

// widestValue is the value of prm whose JSON is longest.
func widestValue(prm search.Param) value.Value {
	if prm.Type != search.CategoricalParam && len(prm.Grid) == 0 {
		return value.Float(-math.MaxFloat64 / 3) // as long as a number gets
	}
	best, n := value.Float(-math.MaxFloat64/3), 0
	for _, vs := range [][]value.Value{prm.Choices, prm.Grid} {
		for _, v := range vs {
			if l := jsonLen(v); l > n {
				best, n = v, l
			}
		}
	}
	return best
}

func jsonLen(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0 // not sent as is either; the dispatcher reports it
	}
	return len(b)
}
