//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// Carry-less multiplication folding for the reflected ECMA-182 CRC-64, after
// Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ".
// A 128-bit register holds 16 message bytes little-endian, so its low qword
// is the high-degree half H and its high qword the low half L. Folding a
// register forward by D bits replaces H*x^(D+64) + L*x^D with two carry-less
// products against constants congruent to those powers (constants.go).

// LOADK sets X8 = [lo: klo, hi: khi].
#define LOADK(klo, khi) \
	MOVQ $klo, AX \
	MOVQ AX, X8 \
	MOVQ $khi, AX \
	MOVQ AX, X9 \
	PUNPCKLQDQ X9, X8

// FOLDMEM folds register r forward and XORs in the 16 bytes at off(SI).
#define FOLDMEM(r, off, t, u) \
	MOVOU r, t \
	PCLMULQDQ $0x00, X8, r \
	PCLMULQDQ $0x11, X8, t \
	MOVOU off(SI), u \
	PXOR t, r \
	PXOR u, r

// FOLDREG folds register a forward by one block and XORs it into b.
#define FOLDREG(a, b) \
	MOVOU a, X9 \
	PCLMULQDQ $0x00, X8, a \
	PCLMULQDQ $0x11, X8, X9 \
	PXOR a, b \
	PXOR X9, b

// func cpuHasCLMUL() bool
TEXT ·cpuHasCLMUL(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $1, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// VFOLDMEM folds the two lanes of YMM register r forward and XORs in the
// 32 bytes at off(SI); Y8 holds the fold constants in both halves.
#define VFOLDMEM(r, off, t) \
	VPCLMULQDQ $0x11, Y8, r, t \
	VPCLMULQDQ $0x00, Y8, r, r \
	VPXOR      off(SI), t, t \
	VPXOR      t, r, r

// func cpuHasWide() bool
TEXT ·cpuHasWide(SB), NOSPLIT, $0-1
	MOVB $0, ret+0(FP)
	XORL AX, AX
	CPUID
	CMPL AX, $7
	JB   noWide
	MOVL $1, AX
	XORL CX, CX
	CPUID
	ANDL $0x18000000, CX // OSXSAVE (27) and AVX (28)
	CMPL CX, $0x18000000
	JNE  noWide
	XORL CX, CX
	XGETBV
	ANDL $6, AX          // XMM and YMM state enabled by the OS
	CMPL AX, $6
	JNE  noWide
	MOVL $7, AX
	XORL CX, CX
	CPUID
	ANDL $0x20, BX       // AVX2
	JEQ  noWide
	ANDL $0x400, CX      // VPCLMULQDQ
	JEQ  noWide
	MOVB $1, ret+0(FP)

noWide:
	RET

// func updateCLMUL(state uint64, p []byte, wide bool) uint64
TEXT ·updateCLMUL(SB), NOSPLIT, $0-48
	MOVQ state+0(FP), AX
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX
	CMPQ CX, $256        // below that, the set-up outweighs the gain
	JB   narrow
	CMPB wide+32(FP), $0
	JEQ  narrow

	// The same eight lanes as below, two to a YMM register (lanes 2i and
	// 2i+1 in Yi), so one VPCLMULQDQ does the work of two PCLMULQDQ.
	// Only VEX-encoded instructions touch the registers until VZEROUPPER.
	VMOVQ       AX, X9
	VMOVDQU     (SI), Y0
	VPXOR       Y9, Y0, Y0
	VMOVDQU     32(SI), Y1
	VMOVDQU     64(SI), Y2
	VMOVDQU     96(SI), Y3
	ADDQ        $128, SI
	SUBQ        $128, CX
	MOVQ        $const_k1087, AX
	VMOVQ       AX, X8
	MOVQ        $const_k1023, AX
	VMOVQ       AX, X9
	VPUNPCKLQDQ X9, X8, X8
	VINSERTI128 $1, X8, Y8, Y8

loopWide:
	CMPQ CX, $128
	JB   unpackWide
	VFOLDMEM(Y0, 0, Y9)
	VFOLDMEM(Y1, 32, Y10)
	VFOLDMEM(Y2, 64, Y11)
	VFOLDMEM(Y3, 96, Y12)
	ADDQ $128, SI
	SUBQ $128, CX
	JMP  loopWide

unpackWide:
	// Lane i to Xi, highest first so no lane is overwritten before it moves.
	VEXTRACTI128 $1, Y3, X7
	VMOVDQA      X3, X6
	VEXTRACTI128 $1, Y2, X5
	VMOVDQA      X2, X4
	VEXTRACTI128 $1, Y1, X3
	VMOVDQA      X1, X2
	VEXTRACTI128 $1, Y0, X1
	VZEROUPPER
	JMP          merge8

narrow:
	// The register state enters as an XOR over the first eight bytes.
	MOVOU (SI), X0
	MOVQ  AX, X9
	PXOR  X9, X0
	CMPQ  CX, $128
	JB    oneLane

	// Eight independent lanes hide the PCLMULQDQ latency.
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	ADDQ  $128, SI
	SUBQ  $128, CX
	LOADK(const_k1087, const_k1023)

loop8:
	CMPQ CX, $128
	JB   merge8
	FOLDMEM(X0, 0, X9, X10)
	FOLDMEM(X1, 16, X11, X12)
	FOLDMEM(X2, 32, X13, X14)
	FOLDMEM(X3, 48, X9, X10)
	FOLDMEM(X4, 64, X11, X12)
	FOLDMEM(X5, 80, X13, X14)
	FOLDMEM(X6, 96, X9, X10)
	FOLDMEM(X7, 112, X11, X12)
	ADDQ $128, SI
	SUBQ $128, CX
	JMP  loop8

merge8:
	// Lane i sits 16*(7-i) bytes before lane 7; fold them together in order.
	LOADK(const_k191, const_k127)
	FOLDREG(X0, X1)
	FOLDREG(X1, X2)
	FOLDREG(X2, X3)
	FOLDREG(X3, X4)
	FOLDREG(X4, X5)
	FOLDREG(X5, X6)
	FOLDREG(X6, X7)
	MOVOU X7, X0
	JMP   loop1

oneLane:
	ADDQ $16, SI
	SUBQ $16, CX
	LOADK(const_k191, const_k127)

loop1:
	CMPQ CX, $16
	JB   reduce
	FOLDMEM(X0, 0, X9, X10)
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop1

reduce:
	// The CRC register is (H*x^128 + L*x^64) mod P. First lift H by x^128
	// (the k127 constant in X8's high qword) and add L*x^64, leaving a
	// 128-bit Y.
	MOVOU     X0, X1
	PCLMULQDQ $0x10, X8, X1
	PSRLDQ    $8, X0
	PXOR      X0, X1

	// Barrett: the quotient Q is the low qword of Y.lo*mu; the remainder is
	// Y.hi ^ hi(Q*polyPrime) ^ Q, since x*polyPrime = P + 1.
	LOADK(const_mu, const_polyPrime)
	MOVOU     X1, X2
	PCLMULQDQ $0x00, X8, X2
	MOVOU     X2, X3
	PCLMULQDQ $0x10, X8, X3
	PXOR      X3, X1
	PSRLDQ    $8, X1
	MOVQ      X1, AX
	MOVQ      X2, BX
	XORQ      BX, AX
	MOVQ      AX, ret+40(FP)
	RET
