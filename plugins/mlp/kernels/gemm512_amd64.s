#include "textflag.h"
#include "fma8x32_amd64.h"

// func kernelAVX512(kc int, a, b, c *float32, ldc int)
// C[8x32] += A·B: A packed a[p*8+i], B packed b[p*32+j], C row stride ldc.
// Z0..Z15 hold C (two vectors per row), Z16/Z17 a row of B; each A element
// is broadcast from memory into its FMA. k runs in order, one FMA per
// element per step.
TEXT ·kernelAVX512(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVQ DX, R9
	VMOVUPS (R9), Z0
	VMOVUPS 64(R9), Z1
	ADDQ R8, R9
	VMOVUPS (R9), Z2
	VMOVUPS 64(R9), Z3
	ADDQ R8, R9
	VMOVUPS (R9), Z4
	VMOVUPS 64(R9), Z5
	ADDQ R8, R9
	VMOVUPS (R9), Z6
	VMOVUPS 64(R9), Z7
	ADDQ R8, R9
	VMOVUPS (R9), Z8
	VMOVUPS 64(R9), Z9
	ADDQ R8, R9
	VMOVUPS (R9), Z10
	VMOVUPS 64(R9), Z11
	ADDQ R8, R9
	VMOVUPS (R9), Z12
	VMOVUPS 64(R9), Z13
	ADDQ R8, R9
	VMOVUPS (R9), Z14
	VMOVUPS 64(R9), Z15
	TESTQ CX, CX
	JEQ store
loop:
	FMA_8X32_STEP
	DECQ CX
	JNE loop
store:
	MOVQ DX, R9
	VMOVUPS Z0, (R9)
	VMOVUPS Z1, 64(R9)
	ADDQ R8, R9
	VMOVUPS Z2, (R9)
	VMOVUPS Z3, 64(R9)
	ADDQ R8, R9
	VMOVUPS Z4, (R9)
	VMOVUPS Z5, 64(R9)
	ADDQ R8, R9
	VMOVUPS Z6, (R9)
	VMOVUPS Z7, 64(R9)
	ADDQ R8, R9
	VMOVUPS Z8, (R9)
	VMOVUPS Z9, 64(R9)
	ADDQ R8, R9
	VMOVUPS Z10, (R9)
	VMOVUPS Z11, 64(R9)
	ADDQ R8, R9
	VMOVUPS Z12, (R9)
	VMOVUPS Z13, 64(R9)
	ADDQ R8, R9
	VMOVUPS Z14, (R9)
	VMOVUPS Z15, 64(R9)
	VZEROUPPER
	RET
