// Package nn is the neural network of the mlp trainer: float32 matrices,
// dense layers, activations, dropout and batch normalisation assembled into
// a multilayer perceptron, the losses computed from logits, L1/L2
// penalties, the optimisers with their state, and learning-rate schedules.
//
// Matrices are row-major with one sample per row. A layer owns the buffers
// it returns; they stay valid until its next Forward or Backward. All
// randomness (initialisation, dropout masks) comes from the *rand.Rand the
// model is given, consumed in a fixed order on the calling goroutine, so a
// model is deterministic given its seed whatever the number of threads.
package nn
