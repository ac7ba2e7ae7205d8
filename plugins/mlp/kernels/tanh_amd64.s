#include "textflag.h"

// Tanh's AVX2/FMA loop (tanh.go): four float32 at a time, widened to
// float64, with the arithmetic of tanhGo but k = round(u/ln2) and e^r - 1
// by its Taylor polynomial of degree 12 (no table, |r| <= ln2/2,
// remainder under 1e-15 relative). It stops before the first group of
// four with a lane the rounding window refuses (or NaN), and returns the
// count done: tanhGo takes that group.

// 0: absmask
DATA tanhc<>+0(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+8(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+16(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+24(SB)/8, $0x7fffffffffffffff
// 32: clamp 9.5
DATA tanhc<>+32(SB)/8, $0x4023000000000000
DATA tanhc<>+40(SB)/8, $0x4023000000000000
DATA tanhc<>+48(SB)/8, $0x4023000000000000
DATA tanhc<>+56(SB)/8, $0x4023000000000000
// 64: -2
DATA tanhc<>+64(SB)/8, $0xc000000000000000
DATA tanhc<>+72(SB)/8, $0xc000000000000000
DATA tanhc<>+80(SB)/8, $0xc000000000000000
DATA tanhc<>+88(SB)/8, $0xc000000000000000
// 96: 1/ln2
DATA tanhc<>+96(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+104(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+112(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+120(SB)/8, $0x3ff71547652b82fe
// 128: ln2Hi
DATA tanhc<>+128(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+136(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+144(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+152(SB)/8, $0x3fe62e42fee00000
// 160: ln2Lo
DATA tanhc<>+160(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+168(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+176(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+184(SB)/8, $0x3dea39ef35793c76
// 192: 1
DATA tanhc<>+192(SB)/8, $0x3ff0000000000000
DATA tanhc<>+200(SB)/8, $0x3ff0000000000000
DATA tanhc<>+208(SB)/8, $0x3ff0000000000000
DATA tanhc<>+216(SB)/8, $0x3ff0000000000000
// 224: 1023
DATA tanhc<>+224(SB)/8, $0x00000000000003ff
DATA tanhc<>+232(SB)/8, $0x00000000000003ff
DATA tanhc<>+240(SB)/8, $0x00000000000003ff
DATA tanhc<>+248(SB)/8, $0x00000000000003ff
// 256: 1/12!
DATA tanhc<>+256(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+264(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+272(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+280(SB)/8, $0x3e21eed8eff8d898
// 288: 1/11!
DATA tanhc<>+288(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+296(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+304(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+312(SB)/8, $0x3e5ae64567f544e4
// 320: 1/10!
DATA tanhc<>+320(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+328(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+336(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+344(SB)/8, $0x3e927e4fb7789f5c
// 352: 1/9!
DATA tanhc<>+352(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+360(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+368(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+376(SB)/8, $0x3ec71de3a556c734
// 384: 1/8!
DATA tanhc<>+384(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+392(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+400(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+408(SB)/8, $0x3efa01a01a01a01a
// 416: 1/7!
DATA tanhc<>+416(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+424(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+432(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+440(SB)/8, $0x3f2a01a01a01a01a
// 448: 1/6!
DATA tanhc<>+448(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+456(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+464(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+472(SB)/8, $0x3f56c16c16c16c17
// 480: 1/5!
DATA tanhc<>+480(SB)/8, $0x3f81111111111111
DATA tanhc<>+488(SB)/8, $0x3f81111111111111
DATA tanhc<>+496(SB)/8, $0x3f81111111111111
DATA tanhc<>+504(SB)/8, $0x3f81111111111111
// 512: 1/4!
DATA tanhc<>+512(SB)/8, $0x3fa5555555555555
DATA tanhc<>+520(SB)/8, $0x3fa5555555555555
DATA tanhc<>+528(SB)/8, $0x3fa5555555555555
DATA tanhc<>+536(SB)/8, $0x3fa5555555555555
// 544: 1/3!
DATA tanhc<>+544(SB)/8, $0x3fc5555555555555
DATA tanhc<>+552(SB)/8, $0x3fc5555555555555
DATA tanhc<>+560(SB)/8, $0x3fc5555555555555
DATA tanhc<>+568(SB)/8, $0x3fc5555555555555
// 576: 1/2!
DATA tanhc<>+576(SB)/8, $0x3fe0000000000000
DATA tanhc<>+584(SB)/8, $0x3fe0000000000000
DATA tanhc<>+592(SB)/8, $0x3fe0000000000000
DATA tanhc<>+600(SB)/8, $0x3fe0000000000000
// 608: 1-1e-12
DATA tanhc<>+608(SB)/8, $0x3fefffffffffdcd1
DATA tanhc<>+616(SB)/8, $0x3fefffffffffdcd1
DATA tanhc<>+624(SB)/8, $0x3fefffffffffdcd1
DATA tanhc<>+632(SB)/8, $0x3fefffffffffdcd1
// 640: 1+1e-12
DATA tanhc<>+640(SB)/8, $0x3ff0000000001198
DATA tanhc<>+648(SB)/8, $0x3ff0000000001198
DATA tanhc<>+656(SB)/8, $0x3ff0000000001198
DATA tanhc<>+664(SB)/8, $0x3ff0000000001198
GLOBL tanhc<>(SB), RODATA|NOPTR, $672

// func tanhVec(n int, x, y *float32) int
// n is a multiple of 4. Eight values per iteration, as two independent
// groups of four (their long dependency chains overlap), then a last
// group of four if n is not a multiple of 8.
TEXT ·tanhVec(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-8, BX
	JEQ tanh_four
tanh_loop8:
	VCVTPS2PD (SI)(AX*4), Y0
	VCVTPS2PD 16(SI)(AX*4), Y8
	VANDPD tanhc<>+0(SB), Y0, Y1
	VANDPD tanhc<>+0(SB), Y8, Y9
	VMOVUPD tanhc<>+32(SB), Y5
	VMOVUPD tanhc<>+32(SB), Y13
	VMINPD Y1, Y5, Y1
	VMINPD Y9, Y13, Y9
	VMULPD tanhc<>+64(SB), Y1, Y1
	VMULPD tanhc<>+64(SB), Y9, Y9
	VMULPD tanhc<>+96(SB), Y1, Y2
	VMULPD tanhc<>+96(SB), Y9, Y10
	VROUNDPD $0, Y2, Y2
	VROUNDPD $0, Y10, Y10
	VFNMADD231PD tanhc<>+128(SB), Y2, Y1
	VFNMADD231PD tanhc<>+128(SB), Y10, Y9
	VFNMADD231PD tanhc<>+160(SB), Y2, Y1
	VFNMADD231PD tanhc<>+160(SB), Y10, Y9
	VMOVUPD tanhc<>+256(SB), Y3
	VMOVUPD tanhc<>+256(SB), Y11
	VFMADD213PD tanhc<>+288(SB), Y1, Y3
	VFMADD213PD tanhc<>+288(SB), Y9, Y11
	VFMADD213PD tanhc<>+320(SB), Y1, Y3
	VFMADD213PD tanhc<>+320(SB), Y9, Y11
	VFMADD213PD tanhc<>+352(SB), Y1, Y3
	VFMADD213PD tanhc<>+352(SB), Y9, Y11
	VFMADD213PD tanhc<>+384(SB), Y1, Y3
	VFMADD213PD tanhc<>+384(SB), Y9, Y11
	VFMADD213PD tanhc<>+416(SB), Y1, Y3
	VFMADD213PD tanhc<>+416(SB), Y9, Y11
	VFMADD213PD tanhc<>+448(SB), Y1, Y3
	VFMADD213PD tanhc<>+448(SB), Y9, Y11
	VFMADD213PD tanhc<>+480(SB), Y1, Y3
	VFMADD213PD tanhc<>+480(SB), Y9, Y11
	VFMADD213PD tanhc<>+512(SB), Y1, Y3
	VFMADD213PD tanhc<>+512(SB), Y9, Y11
	VFMADD213PD tanhc<>+544(SB), Y1, Y3
	VFMADD213PD tanhc<>+544(SB), Y9, Y11
	VFMADD213PD tanhc<>+576(SB), Y1, Y3
	VFMADD213PD tanhc<>+576(SB), Y9, Y11
	VFMADD213PD tanhc<>+192(SB), Y1, Y3
	VFMADD213PD tanhc<>+192(SB), Y9, Y11
	VMULPD Y1, Y3, Y3
	VMULPD Y9, Y11, Y11
	VCVTPD2DQY Y2, X2
	VCVTPD2DQY Y10, X10
	VPMOVSXDQ X2, Y2
	VPMOVSXDQ X10, Y10
	VPADDQ tanhc<>+224(SB), Y2, Y2
	VPADDQ tanhc<>+224(SB), Y10, Y10
	VPSLLQ $52, Y2, Y2
	VPSLLQ $52, Y10, Y10
	VSUBPD tanhc<>+192(SB), Y2, Y4
	VSUBPD tanhc<>+192(SB), Y10, Y12
	VFMADD231PD Y3, Y2, Y4
	VFMADD231PD Y11, Y10, Y12
	VMOVUPD tanhc<>+64(SB), Y5
	VMOVUPD tanhc<>+64(SB), Y13
	VSUBPD Y4, Y5, Y5
	VSUBPD Y12, Y13, Y13
	VDIVPD Y5, Y4, Y4
	VDIVPD Y13, Y12, Y12
	VMOVUPD tanhc<>+0(SB), Y6
	VMOVUPD tanhc<>+0(SB), Y14
	VANDNPD Y0, Y6, Y0
	VANDNPD Y8, Y14, Y8
	VANDPD Y6, Y4, Y4
	VANDPD Y14, Y12, Y12
	VORPD Y0, Y4, Y4
	VORPD Y8, Y12, Y12
	VMULPD tanhc<>+608(SB), Y4, Y5
	VMULPD tanhc<>+608(SB), Y12, Y13
	VMULPD tanhc<>+640(SB), Y4, Y6
	VMULPD tanhc<>+640(SB), Y12, Y14
	VCVTPD2PSY Y5, X5
	VCVTPD2PSY Y13, X13
	VCVTPD2PSY Y6, X6
	VCVTPD2PSY Y14, X14
	VCMPPS $0, X6, X5, X7
	VCMPPS $0, X14, X13, X15
	VANDPS X7, X15, X15
	VMOVMSKPS X15, DX
	CMPQ DX, $15
	JNE tanh_done
	VMOVUPS X5, (DI)(AX*4)
	VMOVUPS X13, 16(DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, BX
	JLT tanh_loop8
tanh_four:
	CMPQ AX, CX
	JGE tanh_done
	VCVTPS2PD (SI)(AX*4), Y0
	VANDPD tanhc<>+0(SB), Y0, Y1
	VMOVUPD tanhc<>+32(SB), Y5
	VMINPD Y1, Y5, Y1
	VMULPD tanhc<>+64(SB), Y1, Y1
	VMULPD tanhc<>+96(SB), Y1, Y2
	VROUNDPD $0, Y2, Y2
	VFNMADD231PD tanhc<>+128(SB), Y2, Y1
	VFNMADD231PD tanhc<>+160(SB), Y2, Y1
	VMOVUPD tanhc<>+256(SB), Y3
	VFMADD213PD tanhc<>+288(SB), Y1, Y3
	VFMADD213PD tanhc<>+320(SB), Y1, Y3
	VFMADD213PD tanhc<>+352(SB), Y1, Y3
	VFMADD213PD tanhc<>+384(SB), Y1, Y3
	VFMADD213PD tanhc<>+416(SB), Y1, Y3
	VFMADD213PD tanhc<>+448(SB), Y1, Y3
	VFMADD213PD tanhc<>+480(SB), Y1, Y3
	VFMADD213PD tanhc<>+512(SB), Y1, Y3
	VFMADD213PD tanhc<>+544(SB), Y1, Y3
	VFMADD213PD tanhc<>+576(SB), Y1, Y3
	VFMADD213PD tanhc<>+192(SB), Y1, Y3
	VMULPD Y1, Y3, Y3
	VCVTPD2DQY Y2, X2
	VPMOVSXDQ X2, Y2
	VPADDQ tanhc<>+224(SB), Y2, Y2
	VPSLLQ $52, Y2, Y2
	VSUBPD tanhc<>+192(SB), Y2, Y4
	VFMADD231PD Y3, Y2, Y4
	VMOVUPD tanhc<>+64(SB), Y5
	VSUBPD Y4, Y5, Y5
	VDIVPD Y5, Y4, Y4
	VMOVUPD tanhc<>+0(SB), Y6
	VANDNPD Y0, Y6, Y0
	VANDPD Y6, Y4, Y4
	VORPD Y0, Y4, Y4
	VMULPD tanhc<>+608(SB), Y4, Y5
	VMULPD tanhc<>+640(SB), Y4, Y6
	VCVTPD2PSY Y5, X5
	VCVTPD2PSY Y6, X6
	VCMPPS $0, X6, X5, X7
	VMOVMSKPS X7, DX
	CMPQ DX, $15
	JNE tanh_done
	VMOVUPS X5, (DI)(AX*4)
	ADDQ $4, AX
tanh_done:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

// func tanhVec512(n int, x, y *float32) int
// n is a multiple of 8: tanhVec's arithmetic on eight lanes of an
// AVX-512 register (and-not, and, or as integer ops: AVX512F only; the
// window's float32 compare in AVX).
TEXT ·tanhVec512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	XORQ AX, AX
	TESTQ CX, CX
	JEQ tanh512_done
	VBROADCASTSD tanhc<>+0(SB), Z7          // absmask
	VBROADCASTSD tanhc<>+32(SB), Z11        // 9.5
	VBROADCASTSD tanhc<>+64(SB), Z12        // -2
	VBROADCASTSD tanhc<>+256(SB), Z13       // 1/12!
tanh512_loop:
	VCVTPS2PD (SI)(AX*4), Z0                // f
	VPANDQ Z7, Z0, Z1                       // a = |f|
	VMINPD Z1, Z11, Z1                      // a = min(9.5, a), NaN kept
	VMULPD Z12, Z1, Z1                      // u = -2a
	VMULPD.BCST tanhc<>+96(SB), Z1, Z2
	VRNDSCALEPD $0, Z2, Z2                  // k = round(u/ln2)
	VFNMADD231PD.BCST tanhc<>+128(SB), Z2, Z1 // r = u - k*ln2Hi
	VFNMADD231PD.BCST tanhc<>+160(SB), Z2, Z1 // r -= k*ln2Lo
	VMOVAPD Z13, Z3                         // p = 1/12!
	VFMADD213PD.BCST tanhc<>+288(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+320(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+352(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+384(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+416(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+448(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+480(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+512(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+544(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+576(SB), Z1, Z3
	VFMADD213PD.BCST tanhc<>+192(SB), Z1, Z3 // ... + 1
	VMULPD Z1, Z3, Z3                       // er = e^r - 1
	VCVTPD2DQ Z2, Y4                        // k as int32
	VPMOVSXDQ Y4, Z4
	VPADDQ.BCST tanhc<>+224(SB), Z4, Z4
	VPSLLQ $52, Z4, Z4                      // s = 2^k
	VSUBPD.BCST tanhc<>+192(SB), Z4, Z6     // m = s - 1
	VFMADD231PD Z3, Z4, Z6                  // m += s*er
	VSUBPD Z6, Z12, Z5                      // -2 - m
	VDIVPD Z5, Z6, Z6                       // t = -m/(2+m)
	VPANDNQ Z0, Z7, Z0                      // sign of f
	VPANDQ Z7, Z6, Z6
	VPORQ Z0, Z6, Z6                        // t with f's sign
	VMULPD.BCST tanhc<>+608(SB), Z6, Z8
	VMULPD.BCST tanhc<>+640(SB), Z6, Z9
	VCVTPD2PS Z8, Y8                        // lo
	VCVTPD2PS Z9, Y9                        // hi
	VCMPPS $0, Y9, Y8, Y10                  // lo == hi (false for NaN)
	VMOVMSKPS Y10, DX
	CMPQ DX, $255
	JNE tanh512_done
	VMOVUPS Y8, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, CX
	JLT tanh512_loop
tanh512_done:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
