/* SIMD through wasm_simd128.h (built with -msimd128): the kernels real programs write with
 * intrinsics (a dot product, a byte histogram, base64 encoding by swizzle, saturating pixel
 * arithmetic, Q15 fixed point) and the lane-level corners (NaN and -0 in min/max, saturating
 * conversions, narrowing, lane loads and stores, bit masks). Every vector result is checked
 * against a scalar computation of the same thing and printed, so the expected output is exact
 * in every tier. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasm_simd128.h>

static int failures;

static void check(const char *what, int ok) {
  if (!ok) {
    failures++;
    printf("MISMATCH %s\n", what);
  }
}

static void print_v128(const char *label, v128_t v) {
  uint8_t b[16];
  wasm_v128_store(b, v);
  printf("%s:", label);
  for (int i = 0; i < 16; i++) printf(" %02x", b[i]);
  printf("\n");
}

/* A deterministic pseudo-random sequence (xorshift32). */
static uint32_t seed = 2463534242u;
static uint32_t next(void) {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

#define N 4096
static float xs[N], ys[N];
static uint8_t bytes[N];

static void dot_product(void) {
  for (int i = 0; i < N; i++) {
    xs[i] = (float)(next() % 2001) / 1000.0f - 1.0f;
    ys[i] = (float)(next() % 2001) / 1000.0f - 1.0f;
  }
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < N; i += 4)
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(&xs[i]), wasm_v128_load(&ys[i])));
  float lanes[4] = {0, 0, 0, 0};
  for (int i = 0; i < N; i += 4)
    for (int l = 0; l < 4; l++) lanes[l] += xs[i + l] * ys[i + l];
  float vec = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) +
              wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3);
  float scalar = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  check("dot", memcmp(&vec, &scalar, sizeof vec) == 0);
  uint32_t bits;
  memcpy(&bits, &vec, sizeof bits);
  printf("dot product: %.6f (bits %08x)\n", vec, bits);

  /* The same in f64x2. */
  v128_t acc2 = wasm_f64x2_splat(0.0);
  for (int i = 0; i < N; i += 2)
    acc2 = wasm_f64x2_add(acc2, wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(&xs[i])),
                                               wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(&ys[i]))));
  double d = wasm_f64x2_extract_lane(acc2, 0) + wasm_f64x2_extract_lane(acc2, 1);
  printf("dot product f64: %.12f\n", d);
}

static void histogram(void) {
  for (int i = 0; i < N; i++) bytes[i] = (uint8_t)(next() >> 24) & 15;
  /* Counts of each of 16 values: compare every byte against a splat and subtract the mask. */
  uint32_t counts[16], scalar[16];
  memset(scalar, 0, sizeof scalar);
  for (int i = 0; i < N; i++) scalar[bytes[i]]++;
  for (int value = 0; value < 16; value++) {
    v128_t needle = wasm_i8x16_splat((int8_t)value);
    v128_t total = wasm_i32x4_splat(0);
    for (int i = 0; i < N; i += 16 * 8) {
      v128_t partial = wasm_i8x16_splat(0);
      for (int j = i; j < i + 16 * 8; j += 16)
        partial = wasm_i8x16_sub(partial, wasm_i8x16_eq(wasm_v128_load(&bytes[j]), needle));
      total = wasm_i32x4_add(total, wasm_i32x4_extadd_pairwise_i16x8(wasm_u16x8_extadd_pairwise_u8x16(partial)));
    }
    counts[value] = wasm_i32x4_extract_lane(total, 0) + wasm_i32x4_extract_lane(total, 1) +
                    wasm_i32x4_extract_lane(total, 2) + wasm_i32x4_extract_lane(total, 3);
  }
  check("histogram", memcmp(counts, scalar, sizeof counts) == 0);
  printf("histogram:");
  for (int v = 0; v < 16; v++) printf(" %u", counts[v]);
  printf("\n");
}

/* Base64 of 12 input bytes at a time, as SIMD base64 encoders do it: a shuffle gives each 32-bit
 * lane the bytes b1 b0 b2 b1 of its 3 source bytes, 16-bit shifts and masks cut the four 6-bit
 * fields, and the fields become letters twice: by adding the offset of their range (compares and
 * bitselect) and by a 64-entry table lookup made of four swizzles. */
static void base64(void) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *text = "Many hands make light work. SIMD in every tier, bit for bit!!";
  size_t len = strlen(text) / 12 * 12;
  char by_range[128], by_table[128], ref[128];
  size_t out = 0;
  for (size_t i = 0; i < len; i += 12, out += 16) {
    uint8_t block[16] = {0};
    memcpy(block, text + i, 12);
    v128_t in = wasm_v128_load(block);
    v128_t spread = wasm_i8x16_shuffle(in, in, 1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
    v128_t six = wasm_i16x8_splat(0x3f);
    /* Low 16 bits of a lane: (b0 << 8) | b1 holds fields 0 and 1; high: (b1 << 8) | b2 holds 2, 3. */
    v128_t f0 = wasm_v128_and(wasm_u16x8_shr(spread, 10), six);
    v128_t f1 = wasm_i16x8_shl(wasm_v128_and(wasm_u16x8_shr(spread, 4), six), 8);
    v128_t f2 = wasm_v128_and(wasm_u16x8_shr(spread, 6), six);
    v128_t f3 = wasm_i16x8_shl(wasm_v128_and(spread, six), 8);
    v128_t fields = wasm_v128_bitselect(wasm_v128_or(f0, f1), wasm_v128_or(f2, f3), wasm_i32x4_splat(0xffff));
    v128_t offset = wasm_i8x16_splat(65);
    offset = wasm_v128_bitselect(wasm_i8x16_splat(71), offset, wasm_i8x16_gt(fields, wasm_i8x16_splat(25)));
    offset = wasm_v128_bitselect(wasm_i8x16_splat(-4), offset, wasm_i8x16_gt(fields, wasm_i8x16_splat(51)));
    offset = wasm_v128_bitselect(wasm_i8x16_splat(-19), offset, wasm_i8x16_eq(fields, wasm_i8x16_splat(62)));
    offset = wasm_v128_bitselect(wasm_i8x16_splat(-16), offset, wasm_i8x16_eq(fields, wasm_i8x16_splat(63)));
    wasm_v128_store(by_range + out, wasm_i8x16_add(fields, offset));
    v128_t letters = wasm_i8x16_splat(0);
    for (int k = 0; k < 4; k++)
      letters = wasm_v128_or(letters, wasm_i8x16_swizzle(wasm_v128_load(alphabet + 16 * k),
                                                         wasm_i8x16_sub(fields, wasm_i8x16_splat(16 * k))));
    wasm_v128_store(by_table + out, letters);
  }
  by_range[out] = by_table[out] = 0;
  size_t r = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t triple = ((uint8_t)text[i] << 16) | ((uint8_t)text[i + 1] << 8) | (uint8_t)text[i + 2];
    ref[r++] = alphabet[(triple >> 18) & 63];
    ref[r++] = alphabet[(triple >> 12) & 63];
    ref[r++] = alphabet[(triple >> 6) & 63];
    ref[r++] = alphabet[triple & 63];
  }
  ref[r] = 0;
  check("base64 by range", strcmp(by_range, ref) == 0);
  check("base64 by table", strcmp(by_table, ref) == 0);
  printf("base64: %s\n", by_range);
}

static void pixels(void) {
  uint8_t img[64], out[64], ref[64];
  for (int i = 0; i < 64; i++) img[i] = (uint8_t)(i * 37 + 11);
  for (int i = 0; i < 64; i += 16) {
    v128_t p = wasm_v128_load(&img[i]);
    v128_t bright = wasm_u8x16_add_sat(p, wasm_u8x16_splat(60));
    v128_t dark = wasm_u8x16_sub_sat(p, wasm_u8x16_splat(90));
    wasm_v128_store(&out[i], wasm_u8x16_avgr(bright, dark));
  }
  for (int i = 0; i < 64; i++) {
    int b = img[i] + 60 > 255 ? 255 : img[i] + 60;
    int d = img[i] < 90 ? 0 : img[i] - 90;
    ref[i] = (uint8_t)((b + d + 1) / 2);
  }
  check("pixels", memcmp(out, ref, sizeof out) == 0);
  print_v128("pixels", wasm_v128_load(out));

  /* Widen to 16 bits, scale, narrow back with saturation. */
  v128_t p = wasm_v128_load(img);
  v128_t lo = wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(p), wasm_i16x8_splat(3));
  v128_t hi = wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(p), wasm_i16x8_splat(3));
  print_v128("scaled u8 sat", wasm_u8x16_narrow_i16x8(lo, hi));
  print_v128("scaled i8 sat", wasm_i8x16_narrow_i16x8(lo, hi));
  print_v128("extmul", wasm_i32x4_extmul_low_i16x8(lo, wasm_i16x8_splat(-1000)));
  print_v128("dot i16x8", wasm_i32x4_dot_i16x8(lo, hi));
  print_v128("q15mulr", wasm_i16x8_q15mulr_sat(wasm_i16x8_make(-32768, -32768, 16384, -16384, 32767, 1, 0, 12345),
                                               wasm_i16x8_make(-32768, 32767, 16384, 16384, 32767, -1, 5, -23456)));
}

static void floats(void) {
  float nan = __builtin_nanf("");
  v128_t a = wasm_f32x4_make(-0.0f, 1.5f, nan, -INFINITY);
  v128_t b = wasm_f32x4_make(0.0f, -2.5f, 3.0f, 7.0f);
  print_v128("f32 min", wasm_f32x4_min(a, b));
  print_v128("f32 max", wasm_f32x4_max(a, b));
  print_v128("f32 pmin", wasm_f32x4_pmin(a, b));
  print_v128("f32 pmax", wasm_f32x4_pmax(a, b));
  v128_t c = wasm_f32x4_make(2.5f, -2.5f, 3.5f, -0.4f);
  print_v128("nearest", wasm_f32x4_nearest(c));
  print_v128("ceil", wasm_f32x4_ceil(c));
  print_v128("floor", wasm_f32x4_floor(c));
  print_v128("trunc", wasm_f32x4_trunc(c));
  print_v128("sqrt", wasm_f32x4_sqrt(wasm_f32x4_make(2.0f, 0.0f, -1.0f, 1e30f)));
  v128_t big = wasm_f32x4_make(3e9f, -3e9f, nan, -1.9f);
  print_v128("trunc_sat i32", wasm_i32x4_trunc_sat_f32x4(big));
  print_v128("trunc_sat u32", wasm_u32x4_trunc_sat_f32x4(big));
  print_v128("trunc_sat f64", wasm_i32x4_trunc_sat_f64x2_zero(wasm_f64x2_make(-1e300, 42.9)));
  print_v128("convert u32", wasm_f32x4_convert_u32x4(wasm_i32x4_make(-1, 0, 16777217, 7)));
  print_v128("demote", wasm_f32x4_demote_f64x2_zero(wasm_f64x2_make(1e300, 0.1)));
  print_v128("f64 div", wasm_f64x2_div(wasm_f64x2_make(1.0, -0.0), wasm_f64x2_make(3.0, 0.0)));
  print_v128("f32 lt", wasm_f32x4_lt(a, b));
  print_v128("f32 ne", wasm_f32x4_ne(a, a));
}

static void lanes(void) {
  uint8_t mem[32];
  for (int i = 0; i < 32; i++) mem[i] = (uint8_t)(i * 9 + 1);
  v128_t v = wasm_v128_load(mem);
  print_v128("load8 splat", wasm_v128_load8_splat(&mem[3]));
  print_v128("load32 zero", wasm_v128_load32_zero(&mem[5]));
  print_v128("load16 lane", wasm_v128_load16_lane(&mem[7], v, 6));
  print_v128("load16x4 s", wasm_i32x4_load16x4(&mem[9]));
  print_v128("load8x8 u", wasm_u16x8_load8x8(&mem[17]));
  wasm_v128_store32_lane(&mem[1], v, 3);
  wasm_v128_store8_lane(&mem[30], v, 15);
  print_v128("after lane stores", wasm_v128_load(mem));
  print_v128("second half", wasm_v128_load(&mem[16]));
  v128_t w = wasm_i8x16_make(-1, 0, 1, -128, 127, 5, -5, 0, 9, -9, 3, -3, 100, -100, 64, -64);
  printf("bitmask i8 %04x i16 %02x i32 %x i64 %x\n", wasm_i8x16_bitmask(w), wasm_i16x8_bitmask(w),
         wasm_i32x4_bitmask(w), wasm_i64x2_bitmask(w));
  printf("all_true %d %d any_true %d %d\n", wasm_i8x16_all_true(w), wasm_i32x4_all_true(wasm_i32x4_splat(3)),
         wasm_v128_any_true(w), wasm_v128_any_true(wasm_i64x2_splat(0)));
  print_v128("popcnt", wasm_i8x16_popcnt(w));
  print_v128("abs", wasm_i8x16_abs(w));
  print_v128("shl 9", wasm_i16x8_shl(w, 9));
  /* A shift count at run time, beyond the lane width: Wasm takes it modulo the width. */
  volatile int count = 33;
  print_v128("shr_s 33", wasm_i32x4_shr(w, count));
  print_v128("shr_u 63", wasm_u64x2_shr(w, 63));
  print_v128("i64 mul", wasm_i64x2_mul(w, wasm_i64x2_make(-3, 0x123456789)));
  print_v128("i64 gt", wasm_i64x2_gt(w, wasm_i64x2_splat(0)));
  print_v128("u8 min", wasm_u8x16_min(w, wasm_u8x16_splat(10)));
  print_v128("i16 max", wasm_i16x8_max(w, wasm_i16x8_splat(10)));
  print_v128("u32 gt", wasm_u32x4_gt(w, wasm_u32x4_splat(0x80000000u)));
  print_v128("andnot", wasm_v128_andnot(w, wasm_i8x16_splat(0x0f)));
  print_v128("replace", wasm_i64x2_replace_lane(w, 1, -2));
  print_v128("shuffle", wasm_i8x16_shuffle(v, w, 31, 0, 30, 1, 29, 2, 28, 3, 16, 15, 17, 14, 18, 13, 19, 12));
}

int main(void) {
  dot_product();
  histogram();
  base64();
  pixels();
  floats();
  lanes();
  printf("%s\n", failures ? "FAILED" : "all vector results match the scalar ones");
  return failures != 0;
}
