//go:build !amd64

package kernels

func reluVec(n int, x, y *float32)                        { panic("no assembly") }
func reluGradVec(n int, y, dy, dx *float32)               { panic("no assembly") }
func addVec(n int, dst, src *float32)                     { panic("no assembly") }
func adamVec(n int, w, grad, m, v *float32, c *AdamConst) { panic("no assembly") }
func dotVec(n int, a, b *float32) float32                 { panic("no assembly") }
func axpyVec(n int, alpha float32, x, y *float32)         { panic("no assembly") }
func tanhVec(n int, x, y *float32) int                    { panic("no assembly") }
func tanhVec512(n int, x, y *float32) int                 { panic("no assembly") }
