//go:build !amd64

package kernels

func asmKernels() []microKernel { return nil }
