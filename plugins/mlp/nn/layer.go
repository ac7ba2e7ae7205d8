package nn

import (
	"math/rand/v2"

	"automl/plugins/mlp/kernels"
)

// Param is a trainable tensor and its gradient.
type Param struct {
	Name string
	W, G []float32
	// Decay marks weights that L1/L2 penalties and weight decay apply to
	// (dense weights, not biases or batch-norm scales).
	Decay bool
}

// Env is what layers share: the GEMM executor and the model's RNG.
type Env struct {
	Exec *kernels.Exec
	Rng  *rand.Rand
}

// Layer is one stage of the network.
type Layer interface {
	// Forward computes the layer's output for a batch; train selects
	// training behaviour (dropout active, batch statistics).
	Forward(x *Mat, train bool) *Mat
	// Backward takes the gradient of the loss with respect to the last
	// Forward's output, sets the gradients of the layer's parameters and
	// returns the gradient with respect to its input (nil when !needDx).
	Backward(dy *Mat, needDx bool) *Mat
	// Params are the trainable tensors (nil for none).
	Params() []*Param
	// Buffers are non-trainable state saved in checkpoints (running
	// statistics); nil for none.
	Buffers() [][]float32
}
