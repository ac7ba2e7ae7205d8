package mlp

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"automl/plugins/mlp/nn"
)

// Hyper are the training hyperparameters: each may be searched (a
// parameter of the space) or fixed (a key of the trainer config); a
// parameter overrides the config.
type Hyper struct {
	Epochs       int
	BatchSize    int
	LearningRate float64
	Optimizer    nn.OptimizerKind
	Momentum     float64
	Beta1, Beta2 float64
	Eps          float64
	Rho          float64
	WeightDecay  float64
	weightDecay  bool // set explicitly (adamw defaults to 0.01)
	L1, L2       float64
	Activation   nn.Activation
	Dropout      float64
	BatchNorm    bool
	Init         string
	Loss         string
	HuberDelta   float64
	// LabelSmoothing: see nn.LossFunc.Smooth.
	LabelSmoothing float64
	Schedule       nn.ScheduleKind
	Warmup         float64
	StepSize       int
	Gamma          float64
	MinLR          float64
	ClipNorm       float64
	Patience       int
	MinDelta       float64

	// Architecture, resolved by hidden().
	numLayers int
	hasNum    bool
	units     int
	hasUnits  bool
	unitsN    map[int]int
	layers    []int
	hasLayers bool
}

func defaultHyper() Hyper {
	return Hyper{Epochs: 100, BatchSize: 32, LearningRate: 1e-3, Optimizer: nn.Adam, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999,
		Eps: 1e-8, Rho: 0.99, Activation: nn.ReLU, Init: "glorot", Loss: "auto", HuberDelta: 1, Schedule: nn.Constant,
		StepSize: 30, Gamma: 0.1, Dropout: 0.2, unitsN: map[int]int{}}
}

// Defaults of the architecture when nothing is said.
const (
	defaultLayers = 2
	defaultUnits  = 64
	maxLayers     = 32
)

// hyperKey is one hyperparameter: its name, a one-line doc for messages
// and the README, and how a value is checked and stored.
type hyperKey struct {
	name string
	// kind is 'f' float, 'i' int, 'b' bool, 's' string choice, 'l' layer list.
	kind byte
	doc  string
	// choices enumerate a string key's values (nil: not an enum).
	choices []string
	set     func(h *Hyper, v any) error
}

var hyperKeys = []hyperKey{
	{name: "epochs", kind: 'i', doc: "training epochs when the study has no resource span (int >= 1, default 100)", set: func(h *Hyper, v any) (err error) {
		h.Epochs, err = intIn(v, 1, 1<<30)
		return
	}},
	{name: "batch_size", kind: 'i', doc: "rows per gradient step (int >= 1, default 32)", set: func(h *Hyper, v any) (err error) {
		h.BatchSize, err = intIn(v, 1, 1<<30)
		return
	}},
	{name: "learning_rate", kind: 'f', doc: "base learning rate (> 0, default 0.001)", set: func(h *Hyper, v any) (err error) {
		h.LearningRate, err = floatIn(v, 0, math.Inf(1), false, false)
		return
	}},
	{name: "optimizer", kind: 's', doc: "sgd | momentum | nesterov | adam | adamw | rmsprop (default adam)", choices: nn.OptimizerNames, set: func(h *Hyper, v any) error {
		s, err := enum(v, nn.OptimizerNames)
		if err == nil {
			h.Optimizer, err = nn.ParseOptimizer(s)
		}
		return err
	}},
	{name: "momentum", kind: 'f', doc: "momentum of momentum and nesterov ([0, 1), default 0.9)", set: func(h *Hyper, v any) (err error) {
		h.Momentum, err = floatIn(v, 0, 1, true, false)
		return
	}},
	{name: "beta1", kind: 'f', doc: "Adam's first-moment decay ([0, 1), default 0.9)", set: func(h *Hyper, v any) (err error) {
		h.Beta1, err = floatIn(v, 0, 1, true, false)
		return
	}},
	{name: "beta2", kind: 'f', doc: "Adam's second-moment decay ([0, 1), default 0.999)", set: func(h *Hyper, v any) (err error) {
		h.Beta2, err = floatIn(v, 0, 1, true, false)
		return
	}},
	{name: "eps", kind: 'f', doc: "denominator term of adam, adamw and rmsprop (> 0, default 1e-8)", set: func(h *Hyper, v any) (err error) {
		h.Eps, err = floatIn(v, 0, math.Inf(1), false, false)
		return
	}},
	{name: "rho", kind: 'f', doc: "rmsprop's squared-gradient decay ([0, 1), default 0.99)", set: func(h *Hyper, v any) (err error) {
		h.Rho, err = floatIn(v, 0, 1, true, false)
		return
	}},
	{name: "weight_decay", kind: 'f', doc: "decoupled weight decay w -= lr*weight_decay*w per step, any optimizer (>= 0; default 0, adamw 0.01)", set: func(h *Hyper, v any) (err error) {
		h.WeightDecay, err = floatIn(v, 0, math.Inf(1), true, false)
		h.weightDecay = true
		return
	}},
	{name: "l1", kind: 'f', doc: "L1 penalty l1*sum|w| on dense weights (>= 0, default 0)", set: func(h *Hyper, v any) (err error) {
		h.L1, err = floatIn(v, 0, math.Inf(1), true, false)
		return
	}},
	{name: "l2", kind: 'f', doc: "L2 penalty l2/2*sum w^2 on dense weights (>= 0, default 0)", set: func(h *Hyper, v any) (err error) {
		h.L2, err = floatIn(v, 0, math.Inf(1), true, false)
		return
	}},
	{name: "num_layers", kind: 'i', doc: "hidden layers (int 0..32, default 2; 0 is a linear model)", set: func(h *Hyper, v any) (err error) {
		h.numLayers, err = intIn(v, 0, maxLayers)
		h.hasNum = true
		return
	}},
	{name: "units", kind: 'i', doc: "units of every hidden layer without its own units_i (int >= 1, default 64)", set: func(h *Hyper, v any) (err error) {
		h.units, err = intIn(v, 1, 1<<20)
		h.hasUnits = true
		return
	}},
	{name: "units_i", kind: 'i', doc: "units of hidden layer i, i = 1..32 (int >= 1); layers beyond num_layers ignore theirs", set: nil},
	{name: "layers", kind: 'l', doc: "all hidden widths at once: a list [128, 64] or a string \"128-64\" (\"none\": no hidden layer)", set: func(h *Hyper, v any) (err error) {
		h.layers, err = parseLayers(v)
		h.hasLayers = true
		return
	}},
	{name: "activation", kind: 's', doc: "relu | leaky_relu | tanh | sigmoid | gelu (default relu)", choices: nn.ActivationNames, set: func(h *Hyper, v any) error {
		s, err := enum(v, nn.ActivationNames)
		if err == nil {
			h.Activation, err = nn.ParseActivation(s)
		}
		return err
	}},
	{name: "dropout", kind: 'f', doc: "drop probability after each hidden activation ([0, 1), default 0.2)", set: func(h *Hyper, v any) (err error) {
		h.Dropout, err = floatIn(v, 0, 1, true, false)
		return
	}},
	{name: "batch_norm", kind: 'b', doc: "batch normalisation before each hidden activation (bool, default false)", set: func(h *Hyper, v any) (err error) {
		h.BatchNorm, err = boolean(v)
		return
	}},
	{name: "init", kind: 's', doc: "glorot | he: uniform initialisation of hidden layers, variance 2/(fan_in+fan_out) or 2/fan_in (default glorot)", choices: []string{"glorot", "he"}, set: func(h *Hyper, v any) (err error) {
		h.Init, err = enum(v, []string{"glorot", "he"})
		return
	}},
	{name: "loss", kind: 's', doc: "regression loss: auto | mse | huber (default auto = mse); classification always uses cross-entropy", choices: []string{"auto", "mse", "huber"}, set: func(h *Hyper, v any) (err error) {
		h.Loss, err = enum(v, []string{"auto", "mse", "huber"})
		return
	}},
	{name: "huber_delta", kind: 'f', doc: "Huber loss threshold, in standardised target units (> 0, default 1)", set: func(h *Hyper, v any) (err error) {
		h.HuberDelta, err = floatIn(v, 0, math.Inf(1), false, false)
		return
	}},
	{name: "label_smoothing", kind: 'f', doc: "classification: train against (1-e) on the true class plus e spread over all classes; validation and test metrics use the true labels ([0, 1), default 0)", set: func(h *Hyper, v any) (err error) {
		h.LabelSmoothing, err = floatIn(v, 0, 1, true, false)
		return
	}},
	{name: "schedule", kind: 's', doc: "learning-rate schedule: constant | step | cosine (default constant)", choices: nn.ScheduleNames, set: func(h *Hyper, v any) error {
		s, err := enum(v, nn.ScheduleNames)
		if err == nil {
			h.Schedule, err = nn.ParseSchedule(s)
		}
		return err
	}},
	{name: "warmup_epochs", kind: 'f', doc: "linear warm-up length in epochs, per step (>= 0, default 0)", set: func(h *Hyper, v any) (err error) {
		h.Warmup, err = floatIn(v, 0, math.Inf(1), true, false)
		return
	}},
	{name: "step_size", kind: 'i', doc: "step schedule: epochs between decays (int >= 1, default 30)", set: func(h *Hyper, v any) (err error) {
		h.StepSize, err = intIn(v, 1, 1<<30)
		return
	}},
	{name: "gamma", kind: 'f', doc: "step schedule: decay factor ((0, 1], default 0.1)", set: func(h *Hyper, v any) (err error) {
		h.Gamma, err = floatIn(v, 0, 1, false, true)
		return
	}},
	{name: "min_lr", kind: 'f', doc: "cosine schedule: final learning rate (>= 0, default 0)", set: func(h *Hyper, v any) (err error) {
		h.MinLR, err = floatIn(v, 0, math.Inf(1), true, false)
		return
	}},
	{name: "clip_norm", kind: 'f', doc: "clip the global gradient L2 norm to this (> 0; default 0 = off)", set: func(h *Hyper, v any) (err error) {
		h.ClipNorm, err = floatIn(v, 0, math.Inf(1), true, false)
		return
	}},
	{name: "patience", kind: 'i', doc: "early stopping: epochs without improvement of monitor before stopping, then the best weights are restored (int >= 0, default 0 = off)", set: func(h *Hyper, v any) (err error) {
		h.Patience, err = intIn(v, 0, 1<<30)
		return
	}},
	{name: "min_delta", kind: 'f', doc: "early stopping: smallest change of monitor that counts as an improvement (>= 0, default 0)", set: func(h *Hyper, v any) (err error) {
		h.MinDelta, err = floatIn(v, 0, math.Inf(1), true, false)
		return
	}},
}

func lookupHyper(name string) (*hyperKey, int, bool) {
	if n, ok := strings.CutPrefix(name, "units_"); ok {
		i, err := strconv.Atoi(n)
		if err != nil || i < 1 || i > maxLayers || strconv.Itoa(i) != n {
			return nil, 0, false
		}
		return &hyperKey{name: name, kind: 'i', set: func(h *Hyper, v any) error {
			u, err := intIn(v, 1, 1<<20)
			h.unitsN[i] = u
			return err
		}}, i, true
	}
	for i := range hyperKeys {
		if hyperKeys[i].name == name && hyperKeys[i].set != nil {
			return &hyperKeys[i], 0, true
		}
	}
	return nil, 0, false
}

func hyperNames() []string {
	out := make([]string, 0, len(hyperKeys))
	for _, k := range hyperKeys {
		out = append(out, k.name)
	}
	return out
}

// hidden resolves the hidden-layer widths: layers, else num_layers
// (default 2, or the highest units_i when only those are given) layers of
// units_i, falling back to units (default 64).
func (h *Hyper) hidden() ([]int, error) {
	if h.hasLayers {
		if h.hasNum || h.hasUnits || len(h.unitsN) > 0 {
			return nil, &KeyError{Key: "layers", Msg: "layers gives every width; do not combine it with num_layers, units or units_i"}
		}
		return h.layers, nil
	}
	n := defaultLayers
	switch {
	case h.hasNum:
		n = h.numLayers
	case len(h.unitsN) > 0:
		n = 0
		for i := range h.unitsN {
			n = max(n, i)
		}
	}
	out := make([]int, n)
	for i := range out {
		u, ok := h.unitsN[i+1]
		switch {
		case ok:
		case h.hasUnits:
			u = h.units
		case len(h.unitsN) > 0:
			return nil, &KeyError{Key: fmt.Sprintf("units_%d", i+1), Msg: fmt.Sprintf("%d hidden layers but no units_%d (and no units to fall back on)", n, i+1)}
		default:
			u = defaultUnits
		}
		out[i] = u
	}
	return out, nil
}

func parseLayers(v any) ([]int, error) {
	var parts []any
	switch x := v.(type) {
	case []any:
		parts = x
	case string:
		s := strings.TrimSpace(x)
		if s == "" || s == "none" || s == "[]" {
			return []int{}, nil
		}
		s = strings.Trim(s, "[]")
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ',' || r == 'x' || r == ' ' }) {
			parts = append(parts, f)
		}
	default:
		if n, err := intIn(v, 1, 1<<20); err == nil {
			return []int{n}, nil
		}
		return nil, fmt.Errorf("want a list of widths such as [128, 64] or a string \"128-64\", got %v", v)
	}
	out := make([]int, 0, len(parts))
	for _, p := range parts {
		if s, ok := p.(string); ok {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("width %q is not an integer", s)
			}
			p = n
		}
		n, err := intIn(p, 1, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("width %v: %v", p, err)
		}
		out = append(out, n)
	}
	if len(out) > maxLayers {
		return nil, fmt.Errorf("%d hidden layers; at most %d", len(out), maxLayers)
	}
	return out, nil
}

// Value conversions: YAML config gives int, float64, string, bool and
// []any; parameters give float64, int64, string and bool.

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func floatIn(v any, lo, hi float64, loIncl, hiIncl bool) (float64, error) {
	x, ok := number(v)
	if !ok || math.IsNaN(x) || x < lo || x > hi || (!loIncl && x == lo) || (!hiIncl && x == hi) {
		var rng string
		switch {
		case math.IsInf(hi, 1) && loIncl:
			rng = fmt.Sprintf(">= %v", lo)
		case math.IsInf(hi, 1):
			rng = fmt.Sprintf("> %v", lo)
		default:
			lb, rb := "(", ")"
			if loIncl {
				lb = "["
			}
			if hiIncl {
				rb = "]"
			}
			rng = fmt.Sprintf("in %s%v, %v%s", lb, lo, hi, rb)
		}
		return 0, fmt.Errorf("want a number %s, got %v", rng, describe(v))
	}
	return x, nil
}

func intIn(v any, lo, hi int) (int, error) {
	x, ok := number(v)
	if !ok || x != math.Trunc(x) || x < float64(lo) || x > float64(hi) {
		if ok && x != math.Trunc(x) {
			return 0, fmt.Errorf("want an integer, got %v (use type: int)", x)
		}
		return 0, fmt.Errorf("want an integer in [%d, %d], got %v", lo, hi, describe(v))
	}
	return int(x), nil
}

func boolean(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		if b, err := strconv.ParseBool(x); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("want true or false, got %v", describe(v))
}

func enum(v any, choices []string) (string, error) {
	s, ok := v.(string)
	if !ok || !slices.Contains(choices, s) {
		return "", fmt.Errorf("want one of %s, got %v", strings.Join(choices, ", "), describe(v))
	}
	return s, nil
}

func describe(v any) string {
	switch v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case nil:
		return "nothing"
	}
	return fmt.Sprint(v)
}
