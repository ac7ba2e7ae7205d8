package kernels

// AVX2 loops of vec.go (vec_amd64.s); n is a multiple of 16.

//go:noescape
func reluVec(n int, x, y *float32)

//go:noescape
func reluGradVec(n int, y, dy, dx *float32)

//go:noescape
func addVec(n int, dst, src *float32)

//go:noescape
func adamVec(n int, w, grad, m, v *float32, c *AdamConst)

//go:noescape
func dotVec(n int, a, b *float32) float32

//go:noescape
func axpyVec(n int, alpha float32, x, y *float32)

// tanhVec is Tanh's loop (tanh_amd64.s); n is a multiple of 4. It
// returns how many it did: fewer than n when a group of four needs
// tanhGo.
//
//go:noescape
func tanhVec(n int, x, y *float32) int

// tanhVec512 is tanhVec on AVX-512 registers; n is a multiple of 8.
//
//go:noescape
func tanhVec512(n int, x, y *float32) int
