package kernels

import "golang.org/x/sys/cpu"

// Assembly micro-kernels (gemm_amd64.s, gemm512_amd64.s).
//
//go:noescape
func kernelAVX2(kc int, a, b, c *float32, ldc int)

//go:noescape
func kernelAVX512(kc int, a, b, c *float32, ldc int)

//go:noescape
func inferAVX512(kc int, a, b, c, bias *float32, relu int)

// asmKernels lists the assembly micro-kernels this CPU runs, best first.
func asmKernels() []microKernel {
	var out []microKernel
	if cpu.X86.HasAVX512F {
		out = append(out, microKernel{name: "avx512", mr: 8, nr: 32, run: func(kcur int, a, b, c []float32, ldc int) {
			_ = a[kcur*8-1]
			_ = b[kcur*32-1]
			_ = c[7*ldc+31]
			kernelAVX512(kcur, &a[0], &b[0], &c[0], ldc)
		}, infer: func(kcur int, a, b, c, bias []float32, relu bool) {
			_ = a[kcur*8-1]
			_ = b[kcur*32-1]
			_ = c[8*32-1]
			_ = bias[7]
			r := 0
			if relu {
				r = 1
			}
			inferAVX512(kcur, &a[0], &b[0], &c[0], &bias[0], r)
		}})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		out = append(out, microKernel{name: "avx2", mr: 6, nr: 16, run: func(kcur int, a, b, c []float32, ldc int) {
			_ = a[kcur*6-1]
			_ = b[kcur*16-1]
			_ = c[5*ldc+15]
			kernelAVX2(kcur, &a[0], &b[0], &c[0], ldc)
		}})
	}
	return out
}
