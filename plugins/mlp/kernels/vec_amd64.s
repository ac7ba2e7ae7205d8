#include "textflag.h"

// AVX2 loops for vec.go; every function takes n, a multiple of 16, and
// handles two 8-float vectors per iteration.

// func reluVec(n int, x, y *float32)
// y = max(0, x) with 0 as the first operand, so a NaN x passes through.
TEXT ·reluVec(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	VXORPS Y15, Y15, Y15
relu_loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMAXPS Y0, Y15, Y0
	VMAXPS Y1, Y15, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNE relu_loop
	VZEROUPPER
	RET

// func reluGradVec(n int, y, dy, dx *float32)
// dx = dy AND (y > 0).
TEXT ·reluGradVec(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ y+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ dx+24(FP), DI
	VXORPS Y15, Y15, Y15
grad_loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VCMPPS $14, Y15, Y0, Y0
	VCMPPS $14, Y15, Y1, Y1
	VANDPS (DX), Y0, Y0
	VANDPS 32(DX), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JNE grad_loop
	VZEROUPPER
	RET

// func addVec(n int, dst, src *float32)
TEXT ·addVec(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
add_loop:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNE add_loop
	VZEROUPPER
	RET

// func adamVec(n int, w, grad, m, v *float32, c *AdamConst)
// c: b1, 1-b1, b2, 1-b2, step, sc2, eps. Operation order matches Adam's Go loop.
TEXT ·adamVec(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	VBROADCASTSS 20(AX), Y13
	VBROADCASTSS 24(AX), Y14

adam_loop:
	VMOVUPS (SI), Y0
	VMULPS (R8), Y8, Y1
	VMULPS Y0, Y9, Y2
	VADDPS Y2, Y1, Y1
	VMOVUPS Y1, (R8)
	VMULPS (R9), Y10, Y3
	VMULPS Y0, Y11, Y4
	VMULPS Y0, Y4, Y4
	VADDPS Y4, Y3, Y3
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y5
	VMULPS Y13, Y5, Y5
	VADDPS Y14, Y5, Y5
	VMULPS Y12, Y1, Y6
	VDIVPS Y5, Y6, Y6
	VMOVUPS (DI), Y7
	VSUBPS Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	SUBQ $8, CX
	JNE adam_loop
	VZEROUPPER
	RET

// func dotVec(n int, a, b *float32) float32
TEXT ·dotVec(SB), NOSPLIT, $0-28
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
dot_loop:
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VFMADD231PS (DI), Y2, Y0
	VFMADD231PS 32(DI), Y3, Y1
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNE dot_loop
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func axpyVec(n int, alpha float32, x, y *float32)
TEXT ·axpyVec(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Y15
	MOVQ x+16(FP), SI
	MOVQ y+24(FP), DI
axpy_loop:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VFMADD231PS (SI), Y15, Y0
	VFMADD231PS 32(SI), Y15, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNE axpy_loop
	VZEROUPPER
	RET
