/* Plain C loops that clang auto-vectorises with -O3 -msimd128 (the SIMD most real programs
 * contain without asking for it): saxpy, integer reductions, a byte transform, a matrix
 * multiply, a string search, narrowing and widening conversions. No intrinsics and no
 * fast-math, so the results are exactly what the same C gives compiled for any target; the
 * program prints them as numbers and checksums. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 10000
#define M 48

static float xs[N], ys[N];
static int32_t is[N];
static int16_t hs[N];
static uint8_t bytes[N], mapped[N];
static double a[M][M], b[M][M], c[M][M];

static uint32_t seed = 88172645u;
static uint32_t next(void) {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

/* FNV-1a over a buffer: a checksum that changes when any bit does. */
static uint32_t fnv(const void *data, size_t len) {
  const uint8_t *p = data;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

__attribute__((noinline)) static void saxpy(float alpha, float *restrict y, const float *restrict x, int n) {
  for (int i = 0; i < n; i++) y[i] = alpha * x[i] + y[i];
}

__attribute__((noinline)) static int64_t sum_i32(const int32_t *v, int n) {
  int64_t s = 0;
  for (int i = 0; i < n; i++) s += v[i];
  return s;
}

__attribute__((noinline)) static int32_t max_i32(const int32_t *v, int n) {
  int32_t m = INT32_MIN;
  for (int i = 0; i < n; i++) m = v[i] > m ? v[i] : m;
  return m;
}

__attribute__((noinline)) static uint32_t count_below(const uint8_t *v, int n, uint8_t limit) {
  uint32_t k = 0;
  for (int i = 0; i < n; i++) k += v[i] < limit;
  return k;
}

__attribute__((noinline)) static void to_upper(uint8_t *restrict out, const uint8_t *restrict in, int n) {
  for (int i = 0; i < n; i++) out[i] = (in[i] >= 'a' && in[i] <= 'z') ? in[i] - 32 : in[i];
}

__attribute__((noinline)) static void widen_scale(int32_t *restrict out, const int16_t *restrict in, int n) {
  for (int i = 0; i < n; i++) out[i] = in[i] * 3 - (in[i] >> 2);
}

__attribute__((noinline)) static void clamp_to_u8(uint8_t *restrict out, const int32_t *restrict in, int n) {
  for (int i = 0; i < n; i++) {
    int32_t v = in[i] >> 4;
    out[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
  }
}

__attribute__((noinline)) static void matmul(void) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < M; j++) c[i][j] = 0;
  for (int i = 0; i < M; i++)
    for (int k = 0; k < M; k++)
      for (int j = 0; j < M; j++) c[i][j] += a[i][k] * b[k][j];
}

__attribute__((noinline)) static float abs_sum(const float *v, int n) {
  float s = 0;
  for (int i = 0; i < n; i++) s += v[i] < 0 ? -v[i] : v[i];
  return s;
}

int main(void) {
  for (int i = 0; i < N; i++) {
    xs[i] = (float)((int32_t)(next() % 20001) - 10000) / 128.0f;
    ys[i] = (float)((int32_t)(next() % 20001) - 10000) / 256.0f;
    is[i] = (int32_t)next();
    hs[i] = (int16_t)next();
    bytes[i] = (uint8_t)(32 + next() % 95);
  }
  for (int i = 0; i < M; i++)
    for (int j = 0; j < M; j++) {
      a[i][j] = (double)((int)(next() % 200) - 100) / 8.0;
      b[i][j] = (double)((int)(next() % 200) - 100) / 16.0;
    }

  for (int round = 0; round < 20; round++) saxpy(0.5f, ys, xs, N);
  printf("saxpy: %08x\n", fnv(ys, sizeof ys));
  printf("abs sum: %.3f\n", abs_sum(ys, N));
  printf("sum i32: %lld\n", (long long)sum_i32(is, N));
  printf("max i32: %d\n", max_i32(is, N));
  printf("count below 'a': %u\n", count_below(bytes, N, 'a'));
  to_upper(mapped, bytes, N);
  printf("to upper: %08x %.40s\n", fnv(mapped, sizeof mapped), (const char *)mapped);
  widen_scale(is, hs, N);
  printf("widen: %08x\n", fnv(is, sizeof is));
  clamp_to_u8(mapped, is, N);
  printf("clamp: %08x\n", fnv(mapped, sizeof mapped));
  matmul();
  double trace = 0;
  for (int i = 0; i < M; i++) trace += c[i][i];
  printf("matmul: %08x trace %.4f\n", fnv(c, sizeof c), trace);
  const char *hay = "the quick brown fox jumps over the lazy dog, and the dog sleeps on";
  printf("strlen %zu, memchr 'z' at %ld\n", strlen(hay), (long)((const char *)memchr(hay, 'z', strlen(hay)) - hay));
  return 0;
}
