// FMA_8X32_STEP is one step of the AVX-512 8 x 32 micro-kernel shared by
// kernelAVX512 (gemm512_amd64.s) and inferAVX512 (infer512_amd64.s), so
// that both sum in the same order: C[i][0:32] += A[p][i] · B[p][0:32] for
// the 8 rows i, with the 16 accumulators in Z0-Z15 (row i in Z(2i) and
// Z(2i+1)), A packed at SI (8 floats a step) and B at DI (32 a step);
// both pointers advance one step. Clobbers Z16, Z17.
#define FMA_8X32_STEP \
	VMOVUPS (DI), Z16; \
	VMOVUPS 64(DI), Z17; \
	VFMADD231PS.BCST 0(SI), Z16, Z0; \
	VFMADD231PS.BCST 0(SI), Z17, Z1; \
	VFMADD231PS.BCST 4(SI), Z16, Z2; \
	VFMADD231PS.BCST 4(SI), Z17, Z3; \
	VFMADD231PS.BCST 8(SI), Z16, Z4; \
	VFMADD231PS.BCST 8(SI), Z17, Z5; \
	VFMADD231PS.BCST 12(SI), Z16, Z6; \
	VFMADD231PS.BCST 12(SI), Z17, Z7; \
	VFMADD231PS.BCST 16(SI), Z16, Z8; \
	VFMADD231PS.BCST 16(SI), Z17, Z9; \
	VFMADD231PS.BCST 20(SI), Z16, Z10; \
	VFMADD231PS.BCST 20(SI), Z17, Z11; \
	VFMADD231PS.BCST 24(SI), Z16, Z12; \
	VFMADD231PS.BCST 24(SI), Z17, Z13; \
	VFMADD231PS.BCST 28(SI), Z16, Z14; \
	VFMADD231PS.BCST 28(SI), Z17, Z15; \
	ADDQ $32, SI; \
	ADDQ $128, DI
