package data

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// SyntheticPrefix starts a synthetic data set name:
// synthetic:classification?n=1000&features=20 or synthetic:regression?...
const SyntheticPrefix = "synthetic:"

// IsSynthetic reports whether a dataset name asks for generated data.
func IsSynthetic(name string) bool { return strings.HasPrefix(name, SyntheticPrefix) }

// ClassificationSpec is scikit-learn's make_classification with its
// defaults (hypercube vertices, shift 0, scale 1, shuffled).
type ClassificationSpec struct {
	Samples, Features, Informative, Redundant, Repeated int
	Classes, ClustersPerClass                           int
	ClassSep, FlipY                                     float64
	Seed                                                uint64
}

// RegressionSpec is scikit-learn's make_regression (one target, no
// effective-rank option).
type RegressionSpec struct {
	Samples, Features, Informative int
	Noise, Bias                    float64
	Seed                           uint64
}

// synthetic query keys, with scikit-learn's names as aliases.
var (
	classKeys = map[string]string{"n": "n", "n_samples": "n", "features": "features", "n_features": "features",
		"informative": "informative", "n_informative": "informative", "redundant": "redundant", "n_redundant": "redundant",
		"repeated": "repeated", "n_repeated": "repeated", "classes": "classes", "n_classes": "classes",
		"clusters": "clusters", "n_clusters_per_class": "clusters", "class_sep": "class_sep", "flip_y": "flip_y",
		"seed": "seed", "random_state": "seed"}
	regKeys = map[string]string{"n": "n", "n_samples": "n", "features": "features", "n_features": "features",
		"informative": "informative", "n_informative": "informative", "noise": "noise", "bias": "bias",
		"seed": "seed", "random_state": "seed"}
)

// SyntheticSpec is a parsed synthetic: name.
type SyntheticSpec struct {
	Name           string
	Classification bool
	Class          ClassificationSpec
	Reg            RegressionSpec
}

// ParseSynthetic reads and checks a synthetic: name without generating
// anything (so a space file can be validated quickly).
func ParseSynthetic(name string) (SyntheticSpec, error) {
	kind, query, _ := strings.Cut(strings.TrimPrefix(name, SyntheticPrefix), "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return SyntheticSpec{}, errorf(ErrBadValue, name, 0, "", "bad query: %v", err)
	}
	var keys map[string]string
	switch kind {
	case "classification":
		keys = classKeys
	case "regression":
		keys = regKeys
	default:
		return SyntheticSpec{}, errorf(ErrBadValue, name, 0, "", "unknown synthetic data set %q; synthetic:classification or synthetic:regression", kind)
	}
	vals := map[string]float64{}
	for k, v := range q {
		canon, ok := keys[k]
		if !ok {
			known := slices.Sorted(maps.Keys(keys))
			return SyntheticSpec{}, errorf(ErrBadValue, name, 0, "", "unknown key %q; synthetic:%s takes %s", k, kind, strings.Join(known, ", "))
		}
		x, err := strconv.ParseFloat(v[len(v)-1], 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || (canon != "bias" && x < 0) {
			return SyntheticSpec{}, errorf(ErrBadValue, name, 0, "", "%s=%s: want a number >= 0", k, v[len(v)-1])
		}
		vals[canon] = x
	}
	get := func(k string, def float64) float64 {
		if v, ok := vals[k]; ok {
			return v
		}
		return def
	}
	sp := SyntheticSpec{Name: name, Classification: kind == "classification"}
	if sp.Classification {
		sp.Class = ClassificationSpec{Samples: int(get("n", 100)), Features: int(get("features", 20)), Informative: int(get("informative", 2)),
			Redundant: int(get("redundant", 2)), Repeated: int(get("repeated", 0)), Classes: int(get("classes", 2)),
			ClustersPerClass: int(get("clusters", 2)), ClassSep: get("class_sep", 1), FlipY: get("flip_y", 0.01), Seed: uint64(get("seed", 0))}
		err = sp.Class.Validate()
	} else {
		sp.Reg = RegressionSpec{Samples: int(get("n", 100)), Features: int(get("features", 100)), Informative: int(get("informative", 10)),
			Noise: get("noise", 0), Bias: get("bias", 0), Seed: uint64(get("seed", 0))}
		err = sp.Reg.Validate()
	}
	if err != nil {
		return SyntheticSpec{}, errorf(ErrBadValue, name, 0, "", "%v", err)
	}
	return sp, nil
}

// Synthetic generates the table a synthetic: name describes. The target
// column is "target"; features are x01, x02, ...
func Synthetic(name string) (*Table, error) {
	sp, err := ParseSynthetic(name)
	if err != nil {
		return nil, err
	}
	var t *Table
	if sp.Classification {
		t, err = MakeClassification(sp.Class)
	} else {
		t, err = MakeRegression(sp.Reg)
	}
	if err != nil {
		return nil, errorf(ErrBadValue, name, 0, "", "%v", err)
	}
	sum := sha256.Sum256([]byte(name))
	t.Source, t.Digest = name, hex.EncodeToString(sum[:])
	return t, nil
}

// MakeClassification follows make_classification: each class has
// ClustersPerClass Gaussian clusters centred on distinct vertices of a
// hypercube of side 2·ClassSep in the informative subspace, each cluster
// given a random covariance; redundant features are random linear
// combinations of the informative ones, repeated features copies, the rest
// noise; FlipY of the labels are then reassigned at random, and rows and
// columns shuffled. The numbers differ from scikit-learn's (another RNG);
// the distribution is the same.
func MakeClassification(s ClassificationSpec) (*Table, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	useless := s.Features - s.Informative - s.Redundant - s.Repeated
	clusters := s.Classes * s.ClustersPerClass
	rng := rand.New(rand.NewPCG(s.Seed, 0x636c617373)) // "class"
	n, p, inf := s.Samples, s.Features, s.Informative
	perCluster := make([]int, clusters)
	for k := range perCluster {
		perCluster[k] = n / s.Classes / s.ClustersPerClass
	}
	for i, extra := 0, n-sum(perCluster); i < extra; i++ {
		perCluster[i%clusters]++
	}
	centroids := hypercube(clusters, inf, rng)
	x := make([]float64, n*p)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < inf; j++ {
			x[i*p+j] = rng.NormFloat64()
		}
	}
	start := 0
	for k := 0; k < clusters; k++ {
		a := make([]float64, inf*inf)
		for i := range a {
			a[i] = 2*rng.Float64() - 1
		}
		tmp := make([]float64, inf)
		for i := start; i < start+perCluster[k]; i++ {
			y[i] = k % s.Classes
			row := x[i*p : i*p+inf]
			for j := range tmp {
				v := 0.0
				for l := 0; l < inf; l++ {
					v += row[l] * a[l*inf+j]
				}
				tmp[j] = v
			}
			for j := range row {
				row[j] = tmp[j] + (2*centroids[k][j]-1)*s.ClassSep
			}
		}
		start += perCluster[k]
	}
	if s.Redundant > 0 {
		b := make([]float64, inf*s.Redundant)
		for i := range b {
			b[i] = 2*rng.Float64() - 1
		}
		for i := 0; i < n; i++ {
			for j := 0; j < s.Redundant; j++ {
				v := 0.0
				for l := 0; l < inf; l++ {
					v += x[i*p+l] * b[l*s.Redundant+j]
				}
				x[i*p+inf+j] = v
			}
		}
	}
	for r := 0; r < s.Repeated; r++ {
		src := rng.IntN(inf + s.Redundant)
		for i := 0; i < n; i++ {
			x[i*p+inf+s.Redundant+r] = x[i*p+src]
		}
	}
	for i := 0; i < n; i++ {
		for j := p - useless; j < p; j++ {
			x[i*p+j] = rng.NormFloat64()
		}
	}
	for i := 0; i < n; i++ {
		if rng.Float64() < s.FlipY {
			y[i] = rng.IntN(s.Classes)
		}
	}
	rowPerm, colPerm := rng.Perm(n), rng.Perm(p)
	t := &Table{Rows: n}
	for j := 0; j < p; j++ {
		c := &Column{Name: fmt.Sprintf("x%02d", j+1), Num: make([]float64, n)}
		for i := 0; i < n; i++ {
			c.Num[i] = x[rowPerm[i]*p+colPerm[j]]
		}
		t.Cols = append(t.Cols, c)
	}
	tc := &Column{Name: "target", Categorical: true, Codes: make([]int32, n)}
	for k := 0; k < s.Classes; k++ {
		tc.Levels = append(tc.Levels, strconv.Itoa(k))
	}
	// Levels sort as strings; map class k to the code of its name.
	slices.Sort(tc.Levels)
	code := map[string]int32{}
	for i, l := range tc.Levels {
		code[l] = int32(i)
	}
	for i := 0; i < n; i++ {
		tc.Codes[i] = code[strconv.Itoa(y[rowPerm[i]])]
	}
	t.Cols = append(t.Cols, tc)
	return t, nil
}

// Validate checks the spec's sizes.
func (s ClassificationSpec) Validate() error {
	useless := s.Features - s.Informative - s.Redundant - s.Repeated
	clusters := s.Classes * s.ClustersPerClass
	switch {
	case s.Samples < 1:
		return fmt.Errorf("n must be at least 1, got %d", s.Samples)
	case s.Informative < 1 || useless < 0:
		return fmt.Errorf("features (%d) must be at least informative (%d) + redundant (%d) + repeated (%d), with informative >= 1", s.Features, s.Informative, s.Redundant, s.Repeated)
	case s.Classes < 2 || s.ClustersPerClass < 1:
		return fmt.Errorf("need classes >= 2 and clusters >= 1, got %d and %d", s.Classes, s.ClustersPerClass)
	case s.Informative < 31 && clusters > 1<<s.Informative:
		return fmt.Errorf("classes (%d) x clusters (%d) must be at most 2^informative (%d)", s.Classes, s.ClustersPerClass, 1<<s.Informative)
	case s.FlipY < 0 || s.FlipY > 1:
		return fmt.Errorf("flip_y must be in [0, 1], got %v", s.FlipY)
	}
	return nil
}

// hypercube returns `count` distinct vertices of the unit hypercube in dim
// dimensions (0/1 coordinates), drawn without replacement.
func hypercube(count, dim int, rng *rand.Rand) [][]float64 {
	seen := map[string]bool{}
	var out [][]float64
	for len(out) < count {
		v := make([]float64, dim)
		key := make([]byte, dim)
		for j := range v {
			if rng.IntN(2) == 1 {
				v[j], key[j] = 1, 1
			}
		}
		if !seen[string(key)] {
			seen[string(key)] = true
			out = append(out, v)
		}
	}
	return out
}

// MakeRegression follows make_regression: standard normal features, a
// linear target on Informative of them with coefficients uniform in
// [0, 100), plus Bias and Gaussian noise of standard deviation Noise; rows
// and columns shuffled.
func MakeRegression(s RegressionSpec) (*Table, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	inf := min(s.Informative, s.Features)
	rng := rand.New(rand.NewPCG(s.Seed, 0x726567)) // "reg"
	n, p := s.Samples, s.Features
	x := make([]float64, n*p)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	coef := make([]float64, p)
	for j := 0; j < inf; j++ {
		coef[j] = 100 * rng.Float64()
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		v := s.Bias
		for j := 0; j < p; j++ {
			v += x[i*p+j] * coef[j]
		}
		if s.Noise > 0 {
			v += s.Noise * rng.NormFloat64()
		}
		y[i] = v
	}
	rowPerm, colPerm := rng.Perm(n), rng.Perm(p)
	t := &Table{Rows: n}
	for j := 0; j < p; j++ {
		c := &Column{Name: fmt.Sprintf("x%02d", j+1), Num: make([]float64, n)}
		for i := 0; i < n; i++ {
			c.Num[i] = x[rowPerm[i]*p+colPerm[j]]
		}
		t.Cols = append(t.Cols, c)
	}
	tc := &Column{Name: "target", Num: make([]float64, n)}
	for i := 0; i < n; i++ {
		tc.Num[i] = y[rowPerm[i]]
	}
	t.Cols = append(t.Cols, tc)
	return t, nil
}

// Validate checks the spec's sizes.
func (s RegressionSpec) Validate() error {
	switch {
	case s.Samples < 1:
		return fmt.Errorf("n must be at least 1, got %d", s.Samples)
	case s.Features < 1 || s.Informative < 0:
		return fmt.Errorf("need features >= 1 and informative >= 0, got %d and %d", s.Features, s.Informative)
	case s.Noise < 0:
		return fmt.Errorf("noise must be >= 0, got %v", s.Noise)
	}
	return nil
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}
