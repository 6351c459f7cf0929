#include "dfl.h"

#include <math.h>

// As in planar.c: every float operation is rounded on its own, so that the
// AVX-512 and portable paths give the same bits on any CPU.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

int phantom_dfl_portable = 0;

// expf's range reduction and polynomial (Cephes), for y <= 0: e^y =
// 2^k * e^r with k = round(y*log2(e)) and |r| <= ln(2)/2. Relative error
// about 2e-7.
#define EXP_LO (-87.0f)
#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f
#define LN2_LO (-2.12194440e-4f)
#define P0 1.9875691500e-4f
#define P1 1.3981999507e-3f
#define P2 8.3334519073e-3f
#define P3 4.1665795894e-2f
#define P4 1.6666665459e-1f
#define P5 5.0000001201e-1f

static float exp_neg(float y) {
    if (y < EXP_LO) y = EXP_LO;
    const float k = rintf(y * LOG2E);
    float r = y - k * LN2_HI;
    r = r - k * LN2_LO;
    float p = P0;
    p = p * r + P1;
    p = p * r + P2;
    p = p * r + P3;
    p = p * r + P4;
    p = p * r + P5;
    const float e = p * (r * r) + r + 1.0f;
    union {
        uint32_t u;
        float f;
    } s = {.u = (uint32_t)((int32_t)k + 127) << 23};
    return e * s.f;
}

// sum16 adds 16 values in the order the AVX-512 path does: halves of 8,
// then of 4, 2 and 1.
static float sum16(const float v[16]) {
    float a[8], b[4], c[2];
    for (int i = 0; i < 8; i++) a[i] = v[i] + v[i + 8];
    for (int i = 0; i < 4; i++) b[i] = a[i] + a[i + 4];
    for (int i = 0; i < 2; i++) c[i] = b[i] + b[i + 2];
    return c[0] + c[1];
}

static float side_portable(const float* d, int hw, int base) {
    float v[16], e[16], w[16];
    float mx = -INFINITY;
    for (int b = 0; b < 16; b++) {
        v[b] = d[base + b * hw];
        if (v[b] > mx) mx = v[b];
    }
    for (int b = 0; b < 16; b++) {
        e[b] = exp_neg(v[b] - mx);
        w[b] = e[b] * (float)b;
    }
    return sum16(w) / sum16(e);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static inline float hsum512(__m512 v) {
    const __m256 lo = _mm512_castps512_ps256(v);
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    const __m256 a = _mm256_add_ps(lo, hi);
    const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(_mm_add_ss(c, _mm_shuffle_ps(c, c, 1)));
}

__attribute__((target("avx512f"))) static void dfl512(const float* d, int hw, const int32_t* cells,
                                                     int n, float* out) {
    const __m512i step = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(hw));
    const __m512 bins = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 lo = _mm512_set1_ps(EXP_LO), log2e = _mm512_set1_ps(LOG2E);
    const __m512 ln2hi = _mm512_set1_ps(LN2_HI), ln2lo = _mm512_set1_ps(LN2_LO);
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int k = 0; k < n; k++) {
        for (int s = 0; s < 4; s++) {
            const __m512i idx = _mm512_add_epi32(step, _mm512_set1_epi32(16 * s * hw + cells[k]));
            const __m512 v = _mm512_i32gather_ps(idx, d, 4);
            const __m512 y = _mm512_max_ps(_mm512_sub_ps(v, _mm512_set1_ps(_mm512_reduce_max_ps(v))), lo);
            const __m512 kk = _mm512_roundscale_ps(_mm512_mul_ps(y, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            __m512 r = _mm512_sub_ps(y, _mm512_mul_ps(kk, ln2hi));
            r = _mm512_sub_ps(r, _mm512_mul_ps(kk, ln2lo));
            __m512 p = _mm512_set1_ps(P0);
            p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(P1));
            p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(P2));
            p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(P3));
            p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(P4));
            p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(P5));
            __m512 e = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r), one);
            const __m512i sc = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(kk), _mm512_set1_epi32(127)), 23);
            e = _mm512_mul_ps(e, _mm512_castsi512_ps(sc));
            out[4 * k + s] = hsum512(_mm512_mul_ps(e, bins)) / hsum512(e);
        }
    }
}
#endif

void phantom_dfl(const float* d, int hw, const int32_t* cells, int n, float* out) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (!phantom_dfl_portable && __builtin_cpu_supports("avx512f")) {
        dfl512(d, hw, cells, n, out);
        return;
    }
#endif
    for (int k = 0; k < n; k++)
        for (int s = 0; s < 4; s++) out[4 * k + s] = side_portable(d, hw, 16 * s * hw + cells[k]);
}
