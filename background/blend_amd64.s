//go:build amd64 && !purego

#include "textflag.h"

// The AVX2 kernels of fit.go's two bilinear passes. They compute exactly
// what blendRows and blendColumns compute (the same integers, rounded the
// same way), sixteen bits a channel, so that a fit's bytes do not depend on
// the machine.

// func blendRowsAVX2(t, r0, r1 *byte, n int, fy uint64)
//
// For each of the n bytes (n a multiple of 32): t = (r0·(256−fy) + r1·fy +
// 128) >> 8. Every sum fits in an unsigned 16-bit lane (at most 255·256 +
// 128).
TEXT ·blendRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ t+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ fy+32(FP), AX
	MOVQ $256, BX
	SUBQ AX, BX
	MOVQ AX, X14
	VPBROADCASTW X14, Y14 // fy in every word
	MOVQ BX, X15
	VPBROADCASTW X15, Y15 // 256 − fy
	MOVQ $0x0080008000800080, AX
	MOVQ AX, X13
	VPBROADCASTQ X13, Y13 // 128 in every word
	SHRQ $5, CX
	JZ   rowsdone

rowsloop:
	VPMOVZXBW (SI), Y0
	VPMOVZXBW 16(SI), Y1
	VPMOVZXBW (DX), Y2
	VPMOVZXBW 16(DX), Y3
	VPMULLW   Y15, Y0, Y0
	VPMULLW   Y15, Y1, Y1
	VPMULLW   Y14, Y2, Y2
	VPMULLW   Y14, Y3, Y3
	VPADDW    Y2, Y0, Y0
	VPADDW    Y3, Y1, Y1
	VPADDW    Y13, Y0, Y0
	VPADDW    Y13, Y1, Y1
	VPSRLW    $8, Y0, Y0
	VPSRLW    $8, Y1, Y1
	VPACKUSWB Y1, Y0, Y0       // quadwords: bytes 0–7, 16–23, 8–15, 24–31
	VPERMQ    $0xD8, Y0, Y0    // back in order
	VMOVDQU   Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	DECQ      CX
	JNZ       rowsloop

rowsdone:
	VZEROUPPER
	RET

// Per 128-bit lane: the first (shufA) or second (shufB) 8 bytes of the lane,
// the two pixels c and c+1, as the words R₀ R₁ G₀ G₁ B₀ B₁ A₀ A₁.
DATA shufA<>+0(SB)/8, $0x8005800180048000
DATA shufA<>+8(SB)/8, $0x8007800380068002
DATA shufA<>+16(SB)/8, $0x8005800180048000
DATA shufA<>+24(SB)/8, $0x8007800380068002
GLOBL shufA<>(SB), RODATA|NOPTR, $32

DATA shufB<>+0(SB)/8, $0x800D8009800C8008
DATA shufB<>+8(SB)/8, $0x800F800B800E800A
DATA shufB<>+16(SB)/8, $0x800D8009800C8008
DATA shufB<>+24(SB)/8, $0x800F800B800E800A
GLOBL shufB<>(SB), RODATA|NOPTR, $32

// The dword order 0 4 1 5 2 6 3 7, which puts the eight pixels of
// blendColumnsAVX2's last pack back in order.
DATA permPix<>+0(SB)/8, $0x0000000400000000
DATA permPix<>+8(SB)/8, $0x0000000500000001
DATA permPix<>+16(SB)/8, $0x0000000600000002
DATA permPix<>+24(SB)/8, $0x0000000700000003
GLOBL permPix<>(SB), RODATA|NOPTR, $32

DATA round<>+0(SB)/4, $128
GLOBL round<>(SB), RODATA|NOPTR, $4

// One group of four output pixels: their byte offsets at off(R8), their
// weights at w(R9); the result, the four pixels as 16-bit channels, in
// the lanes' order x₀ x₂ | x₁ x₃, is left in DST.
#define GROUP(off, w, DST) \
	MOVLQSX   off+0(R8), AX; \
	MOVLQSX   off+4(R8), BX; \
	MOVLQSX   off+8(R8), DX; \
	MOVLQSX   off+12(R8), R10; \
	VMOVQ     (SI)(AX*1), X0; \
	VPINSRQ   $1, (SI)(DX*1), X0, X0; \
	VMOVQ     (SI)(BX*1), X1; \
	VPINSRQ   $1, (SI)(R10*1), X1, X1; \
	VINSERTI128 $1, X1, Y0, Y0; \
	VPSHUFB   Y10, Y0, Y1; \
	VPSHUFB   Y11, Y0, Y2; \
	VPMADDWD  w+0(R9), Y1, Y1; \
	VPMADDWD  w+32(R9), Y2, Y2; \
	VPADDD    Y13, Y1, Y1; \
	VPADDD    Y13, Y2, Y2; \
	VPSRLD    $8, Y1, Y1; \
	VPSRLD    $8, Y2, Y2; \
	VPACKUSDW Y2, Y1, DST

// func blendColumnsAVX2(out, t *byte, off *int32, w *uint32, n int)
//
// For each of the n output pixels x (n a multiple of 8): the pixels of t at
// byte offsets off[x] and off[x]+4, blended per channel with the weights
// w[4x] = (256−f) | f<<16 (four copies, one per channel), rounded to 8
// bits: (c₀·(256−f) + c₁·f + 128) >> 8, into out[4x:4x+4].
TEXT ·blendColumnsAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ t+8(FP), SI
	MOVQ off+16(FP), R8
	MOVQ w+24(FP), R9
	MOVQ n+32(FP), CX
	VMOVDQU shufA<>(SB), Y10
	VMOVDQU shufB<>(SB), Y11
	VMOVDQU permPix<>(SB), Y12
	VPBROADCASTD round<>(SB), Y13
	SHRQ $3, CX
	JZ   colsdone

colsloop:
	GROUP(0, 0, Y3)
	GROUP(16, 64, Y4)
	VPACKUSWB Y4, Y3, Y5 // dwords (pixels): x₀ x₂ x₄ x₆ | x₁ x₃ x₅ x₇
	VPERMD    Y5, Y12, Y5
	VMOVDQU   Y5, (DI)
	ADDQ      $32, R8
	ADDQ      $128, R9
	ADDQ      $32, DI
	DECQ      CX
	JNZ       colsloop

colsdone:
	VZEROUPPER
	RET
