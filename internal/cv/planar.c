#include "planar.h"

#include <math.h>
#include <stdlib.h>

// Each float operation is rounded on its own, never fused into a
// multiply-add, so that the results do not depend on the CPU the kernel
// runs on.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

// Pixels are read as whole 32-bit words (one RGBA pixel each, at any
// address), which lets the compiler use vector gathers.
typedef uint32_t phantom_px __attribute__((may_alias, aligned(1)));

// On x86-64 Linux with GCC the two kernels are built for AVX-512 and AVX2
// as well as the baseline, and the loader picks one for the CPU.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define PHANTOM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PHANTOM_CLONES
#endif

enum { ONE = 1 << 11 };  // fixed-point unit of the interpolation weights

int phantom_planar_portable = 0;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PHANTOM_AVX512 1

// shuffles512 builds the byte shuffles of hpass512 for a channel order.
static void shuffles512(const int order[3], int8_t tab[8][16]) {
    // Gather path, per 16-byte lane (two pixel pairs a0..a3 b0..b3): tab[0]
    // makes 32-bit lanes (a_c0, b_c0) and (a_c1, b_c1), tab[1] (a_c2, b_c2)
    // and zero.
    for (int q = 0; q < 2; q++) {
        int8_t* o = tab[0] + 8 * q;
        int8_t* t = tab[1] + 8 * q;
        const int8_t base = (int8_t)(8 * q);
        for (int c = 0; c < 2; c++) {
            o[4 * c + 0] = (int8_t)(base + order[c]);
            o[4 * c + 1] = -1;
            o[4 * c + 2] = (int8_t)(base + 4 + order[c]);
            o[4 * c + 3] = -1;
        }
        t[0] = (int8_t)(base + order[2]);
        t[1] = -1;
        t[2] = (int8_t)(base + 4 + order[2]);
        for (int k = 3; k < 8; k++) t[k] = -1;
    }
    // Permute path, per 32-bit lane (one pixel): tab[2+c] puts byte
    // order[c] of a into the low half, tab[5+c] that of b into the high half.
    for (int c = 0; c < 3; c++)
        for (int j = 0; j < 4; j++) {
            int8_t* sa = tab[2 + c] + 4 * j;
            int8_t* sb = tab[5 + c] + 4 * j;
            sa[0] = (int8_t)(4 * j + order[c]);
            sa[1] = sa[2] = sa[3] = -1;
            sb[0] = sb[1] = sb[3] = -1;
            sb[2] = (int8_t)(4 * j + order[c]);
        }
}

// lanes is the mask of the first n (clamped to 0..16) 32-bit lanes.
static inline uint16_t lanes(int n) {
    return n >= 16 ? (uint16_t)0xffff : n <= 0 ? (uint16_t)0 : (uint16_t)((1u << n) - 1);
}

// hpass512 is hpass for AVX-512 (F and BW), 16 output pixels at a time, in
// integers until the final scaling. The taps are built so that each output
// pixel reads source pixel xi[x] and the next one, which is always in the
// row. When the 16 pixels' taps span at most 64 source pixels (any
// enlargement, and reductions down to about 1/3.9) they come from four
// contiguous (masked) loads and 32-bit permutes; otherwise from one 64-bit
// gather per 8 pixels. Byte shuffles then put each channel's pair (a_c,
// b_c) into the two 16-bit halves of a 32-bit lane and vpmaddwd forms
// a_c*wa + b_c*wb: exactly the integers hpass forms. rel[x] is xi[x] minus
// xi of the first pixel of x's block of 16, wp[x] the weight pair
// (wa | wb<<16), and wd the same pairs each written twice; tab holds the
// byte shuffles (see shuffles512).
__attribute__((target("avx512f,avx512bw"))) static void hpass512(
    const uint8_t* restrict r, int sw, const int32_t* restrict xi, const int32_t* restrict rel,
    const int32_t* restrict wp, const int32_t* restrict wd, int n, const int order[3],
    const int8_t tab[8][16], float m0, float m1, float m2, float* restrict h0, float* restrict h1,
    float* restrict h2) {
    const int8_t(*s01) = tab[0], (*s2) = tab[1], (*sa)[16] = tab + 2, (*sb)[16] = tab + 5;
    const __m512i sh01 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)s01));
    const __m512i sh2 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)s2));
    __m512i selA[3], selB[3];
    for (int c = 0; c < 3; c++) {
        selA[c] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)sa[c]));
        selB[c] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i*)sb[c]));
    }
    const __mmask64 hi16 = 0x4444444444444444ULL;  // byte 2 of each 32-bit lane
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i one = _mm512_set1_epi32(1), k32 = _mm512_set1_epi32(32);
    const __m512 v[3] = {_mm512_set1_ps(m0), _mm512_set1_ps(m1), _mm512_set1_ps(m2)};
    float* const h[3] = {h0, h1, h2};
    int x = 0;
    for (; x + 16 <= n; x += 16) {
        const int base = xi[x];
        const int span = xi[x + 15] + 2 - base;
        if (span <= 64) {
            // Source pixels base..base+31 (or +63), none past the row's end:
            // masked loads near the end of the row.
            const int rem = sw - base;
            __m512i l0, l1, l2 = _mm512_setzero_si512(), l3 = _mm512_setzero_si512();
            if (rem >= 64) {
                l0 = _mm512_loadu_si512((const void*)(r + 4 * (size_t)base));
                l1 = _mm512_loadu_si512((const void*)(r + 4 * (size_t)base + 64));
                if (span > 32) {
                    l2 = _mm512_loadu_si512((const void*)(r + 4 * (size_t)base + 128));
                    l3 = _mm512_loadu_si512((const void*)(r + 4 * (size_t)base + 192));
                }
            } else {
                l0 = _mm512_maskz_loadu_epi32(lanes(rem), (const void*)(r + 4 * (size_t)base));
                l1 = _mm512_maskz_loadu_epi32(lanes(rem - 16), (const void*)(r + 4 * (size_t)base + 64));
                l2 = _mm512_maskz_loadu_epi32(lanes(rem - 32), (const void*)(r + 4 * (size_t)base + 128));
                l3 = _mm512_maskz_loadu_epi32(lanes(rem - 48), (const void*)(r + 4 * (size_t)base + 192));
            }
            const __m512i ia = _mm512_loadu_si512((const void*)(rel + x));
            const __m512i ib = _mm512_add_epi32(ia, one);
            __m512i A = _mm512_permutex2var_epi32(l0, ia, l1);
            __m512i B = _mm512_permutex2var_epi32(l0, ib, l1);
            if (span > 32) {
                A = _mm512_mask_mov_epi32(A, _mm512_cmpge_epi32_mask(ia, k32), _mm512_permutex2var_epi32(l2, ia, l3));
                B = _mm512_mask_mov_epi32(B, _mm512_cmpge_epi32_mask(ib, k32), _mm512_permutex2var_epi32(l2, ib, l3));
            }
            const __m512i w = _mm512_loadu_si512((const void*)(wp + x));
            for (int c = 0; c < 3; c++) {
                const __m512i pr = _mm512_mask_shuffle_epi8(_mm512_shuffle_epi8(A, selA[c]), hi16, B, selB[c]);
                _mm512_storeu_ps(h[c] + x, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_madd_epi16(pr, w)), v[c]));
            }
            continue;
        }
        const __m512i idx = _mm512_loadu_si512((const void*)(xi + x));
        const __m512i g0 = _mm512_i32gather_epi64(_mm512_castsi512_si256(idx), (const void*)r, 4);
        const __m512i g1 = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(idx, 1), (const void*)r, 4);
        const __m512i w0 = _mm512_loadu_si512((const void*)(wd + 2 * x));
        const __m512i w1 = _mm512_loadu_si512((const void*)(wd + 2 * x + 16));
        const __m512i p0 = _mm512_madd_epi16(_mm512_shuffle_epi8(g0, sh01), w0);
        const __m512i p1 = _mm512_madd_epi16(_mm512_shuffle_epi8(g1, sh01), w1);
        const __m512i q0 = _mm512_madd_epi16(_mm512_shuffle_epi8(g0, sh2), w0);
        const __m512i q1 = _mm512_madd_epi16(_mm512_shuffle_epi8(g1, sh2), w1);
        _mm512_storeu_ps(h0 + x, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_permutex2var_epi32(p0, even, p1)), v[0]));
        _mm512_storeu_ps(h1 + x, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_permutex2var_epi32(p0, odd, p1)), v[1]));
        _mm512_storeu_ps(h2 + x, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_permutex2var_epi32(q0, even, q1)), v[2]));
    }
    for (; x < n; x++) {
        const uint8_t* a = r + 4 * (size_t)xi[x];
        const int wa = wp[x] & 0xffff, wb = (int)((uint32_t)wp[x] >> 16);
        h0[x] = (float)(a[order[0]] * wa + a[4 + order[0]] * wb) * m0;
        h1[x] = (float)(a[order[1]] * wa + a[4 + order[1]] * wb) * m1;
        h2[x] = (float)(a[order[2]] * wa + a[4 + order[2]] * wb) * m2;
    }
}
#endif

// hpass interpolates one source row horizontally into three planar rows,
// already multiplied by mul: h_c[x] = (a_c*wa[x] + b_c*wb[x]) * m_c, where a
// and b are the pixels at xi[x] and xj[x]. The sums are integers below 2^20,
// exact in float.
PHANTOM_CLONES
static void hpass(const phantom_px* restrict r, const int32_t* restrict xi,
                  const int32_t* restrict xj, const float* restrict wa,
                  const float* restrict wb, int n, int s0, int s1, int s2,
                  float m0, float m1, float m2, float* restrict h0,
                  float* restrict h1, float* restrict h2) {
    for (int x = 0; x < n; x++) {
        uint32_t a = r[xi[x]], b = r[xj[x]];
        float fa = wa[x], fb = wb[x];
        h0[x] = ((float)((a >> s0) & 255) * fa + (float)((b >> s0) & 255) * fb) * m0;
        h1[x] = ((float)((a >> s1) & 255) * fa + (float)((b >> s1) & 255) * fb) * m1;
        h2[x] = ((float)((a >> s2) & 255) * fa + (float)((b >> s2) & 255) * fb) * m2;
    }
}

// vpass blends two interpolated rows: out = t*gy + b*wy + add, rounding
// after each operation.
PHANTOM_CLONES
static void vpass(const float* restrict t, const float* restrict b, float gy,
                  float wy, float add, float* restrict out, int n) {
    if (wy == 0) {
        for (int x = 0; x < n; x++) out[x] = t[x] + add;
        return;
    }
    for (int x = 0; x < n; x++) out[x] = t[x] * gy + b[x] * wy + add;
}

int phantom_resize_planar(const uint8_t* pix, int stride, int sw, int sh,
                          float* dst, phantom_planar p, int y0, int y1) {
    const int n = p.rw;
    // One block: taps (xi, xj, wa, wb) and two cached rows of three planes.
    void* mem = malloc((size_t)n * (6 * sizeof(int32_t) + 2 * sizeof(float) + 6 * sizeof(float)));
    if (mem == NULL) return -1;
    int32_t* xi = (int32_t*)mem;
    int32_t* xj = xi + n;
    int32_t* rel = xj + n;
    int32_t* wp = rel + n;
    int32_t* wd = wp + n;
    float* wa = (float*)(wd + 2 * n);
    float* wb = wa + n;
    float* hbuf[2][3];
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 3; c++) hbuf[k][c] = wb + n + (size_t)(3 * k + c) * n;
    int hrow[2] = {-1, -1};

    // Horizontal taps, shared by every row: pixel indices of the two source
    // pixels and their weights, which add up to ONE.
    const double sx = (double)sw / n;
    for (int x = 0; x < n; x++) {
        double f = ((double)x + 0.5) * sx - 0.5;
        int i = (int)floor(f);
        double w = f - i;
        if (i < 0) {
            i = 0;
            w = 0;
        }
        int j = i + 1;
        if (i >= sw - 1) {
            i = j = sw - 1;
            w = 0;
        }
        int wi = (int)round(w * ONE);
        int ga = ONE - wi;
        // At the right edge both taps are the last pixel; taking the one
        // before it with no weight gives the same value and keeps j = i+1.
        if (j == i && i > 0) {
            i--;
            ga = 0;
            wi = ONE;
        }
        xi[x] = i;
        xj[x] = j;
        wa[x] = (float)ga;
        wb[x] = (float)wi;
        wp[x] = wd[2 * x] = wd[2 * x + 1] = (int32_t)((uint32_t)ga | (uint32_t)wi << 16);
        rel[x] = i - xi[x & ~15];
    }
#ifdef PHANTOM_AVX512
    const int wide = sw >= 2 && !phantom_planar_portable && __builtin_cpu_supports("avx512f") &&
                     __builtin_cpu_supports("avx512bw");
    int8_t tab[8][16];
    if (wide) shuffles512(p.order, tab);
#endif
    const int s0 = 8 * p.order[0], s1 = 8 * p.order[1], s2 = 8 * p.order[2];
    const float m0 = p.mul[0] / ONE, m1 = p.mul[1] / ONE, m2 = p.mul[2] / ONE;
    const size_t plane = (size_t)p.w * p.h;
    const double sy = (double)sh / p.rh;

    for (int y = y0; y < y1; y++) {
        double f = ((double)y + 0.5) * sy - 0.5;
        int iy = (int)floor(f);
        double fy = f - iy;
        if (iy < 0) {
            iy = 0;
            fy = 0;
        }
        int iy2 = iy + 1;
        if (iy >= sh - 1) {
            iy = iy2 = sh - 1;
            fy = 0;
        }
        const float wy = (float)round(fy * ONE) / ONE;
        const float gy = 1 - wy;
        // The two source rows, interpolated horizontally once each: the
        // cache keeps the last two, which neighbouring output rows share
        // when the image is scaled up.
        int need[2] = {iy, wy != 0 ? iy2 : iy};
        int slot[2];
        for (int q = 0; q < 2; q++) {
            int s = need[q];
            int k = hrow[0] == s ? 0 : hrow[1] == s ? 1 : -1;
            if (k < 0) {
                // Replace the older row, never the one the other tap uses.
                k = hrow[0] > hrow[1] ? 1 : 0;
                if (q == 1 && k == slot[0]) k ^= 1;
                hrow[k] = s;
                const uint8_t* row = pix + (size_t)s * stride;
#ifdef PHANTOM_AVX512
                if (wide)
                    hpass512(row, sw, xi, rel, wp, wd, n, p.order, (const int8_t(*)[16])tab, m0, m1, m2, hbuf[k][0], hbuf[k][1], hbuf[k][2]);
                else
#endif
                    hpass((const phantom_px*)row, xi, xj, wa, wb, n, s0, s1, s2, m0, m1, m2,
                          hbuf[k][0], hbuf[k][1], hbuf[k][2]);
            }
            slot[q] = k;
        }
        // Ask for the next output row's source rows now: each row is a
        // new stream for the hardware prefetcher, which would otherwise
        // wait for a miss at every page of it.
        if (y + 1 < y1) {
            double f2 = ((double)y + 1.5) * sy - 0.5;
            int r0 = f2 < 0 ? 0 : (int)floor(f2);
            if (r0 > sh - 1) r0 = sh - 1;
            const int r1 = r0 + 1 < sh ? r0 + 1 : r0;
            const size_t first = 4 * (size_t)xi[0], last = 4 * (size_t)xi[n - 1] + 8;
            for (int r = r0; r <= r1; r++) {
                if (r == hrow[0] || r == hrow[1]) continue;
                const uint8_t* row = pix + (size_t)r * stride;
                for (size_t o = first; o < last; o += 64) __builtin_prefetch(row + o, 0, 3);
            }
        }
        float* out = dst + (size_t)(p.y + y) * p.w + p.x;
        for (int c = 0; c < 3; c++)
            vpass(hbuf[slot[0]][c], hbuf[slot[1]][c], gy, wy, p.add[c], out + c * plane, n);
    }
    free(mem);
    return 0;
}
