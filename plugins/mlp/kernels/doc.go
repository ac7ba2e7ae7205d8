// Package kernels holds the float32 compute kernels of the mlp trainer: a
// packed, cache-blocked matrix multiply (GEMM) whose inner micro-kernel is
// Go assembly (AVX2/FMA on amd64, chosen at run time by CPU feature) with a
// pure-Go fallback, a parallel-for over a fixed number of goroutines, and
// the small vector loops of the optimisers; and, for models' predictions,
// dense layers packed once (Pack) that run a batch in the micro-kernel's
// panel layout from layer to layer, with the GEMM's arithmetic.
//
// Determinism: every output element of a GEMM is produced by one
// micro-kernel call sequence that accumulates over k in order 0..k-1, and
// work is split between goroutines only along the output (never along k),
// on micro-tile boundaries. Results are therefore bit-identical whatever the
// number of threads. They may differ between the assembly and the pure-Go
// kernel (a fused multiply-add rounds once), so one process always uses one
// kernel.
package kernels
