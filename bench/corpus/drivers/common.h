/* Shared by the corpus drivers: a deterministic input generator and a checksum.
 *
 * Every driver generates its input in the program (no files, no clock, no randomness from the
 * host), does a fixed amount of work and prints one summary line per phase, so that its stdout
 * is the same in every engine and can be compared with the recorded `<name>.expected`. */
#ifndef CORPUS_COMMON_H
#define CORPUS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64* (Vigna): the only source of "randomness". */
typedef struct {
    uint64_t s;
} rng_t;

static inline uint32_t rng_next(rng_t *r) {
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A value in 0..n-1 (n > 0). */
static inline uint32_t rng_below(rng_t *r, uint32_t n) {
    return (uint32_t)(((uint64_t)rng_next(r) * n) >> 32);
}

/* Fills buf with compressible text-like data: words drawn from a small vocabulary with a skewed
 * (roughly Zipf-like) distribution, punctuation, numbers and line breaks, plus a few runs of
 * binary noise so that the entropy coders see more than one kind of data. */
static inline void gen_text(uint8_t *buf, size_t len, uint64_t seed) {
    static const char *const words[] = {
        "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with",
        "be", "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but",
        "have", "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her",
        "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no",
        "memory", "module", "function", "compile", "interpreter", "baseline", "optimizer",
        "instance", "stack", "register", "branch", "table", "export", "import", "global",
        "value", "result", "local", "block", "loop", "return", "call", "indirect", "select",
        "WebAssembly", "Cranelift", "throughput", "latency", "benchmark", "checksum",
    };
    const uint32_t nwords = sizeof words / sizeof words[0];
    rng_t r = {seed | 1};
    size_t i = 0, line = 0;
    while (i < len) {
        uint32_t k = rng_next(&r);
        char tmp[32];
        const char *w;
        size_t n;
        if ((k & 1023) == 0) {
            /* a short run of noise */
            uint32_t m = 16 + (k >> 10) % 48;
            for (uint32_t j = 0; j < m && i < len; j++) buf[i++] = (uint8_t)rng_next(&r);
            continue;
        }
        if ((k & 15) == 1) {
            n = (size_t)snprintf(tmp, sizeof tmp, "%u", rng_below(&r, 100000));
            w = tmp;
        } else {
            /* min of two uniform draws: small indices are more frequent */
            uint32_t a = rng_below(&r, nwords), b = rng_below(&r, nwords);
            w = words[a < b ? a : b];
            n = strlen(w);
        }
        for (size_t j = 0; j < n && i < len; j++) buf[i++] = (uint8_t)w[j];
        line += n + 1;
        if (i < len) {
            uint32_t p = (k >> 8) & 31;
            buf[i++] = line > 72 ? '\n' : p == 0 ? ',' : p == 1 ? '.' : ' ';
            if (line > 72) line = 0;
        }
    }
}

/* FNV-1a, 32 bits. */
static inline uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}
#define FNV_INIT 2166136261u

/* Changes a few bytes of buf (a different input every round, deterministically). */
static inline void mutate(uint8_t *buf, size_t len, rng_t *r, int count) {
    for (int j = 0; j < count; j++) buf[rng_below(r, (uint32_t)len)] ^= (uint8_t)(1 + rng_below(r, 255));
}

static inline void die(const char *what) {
    fprintf(stderr, "error: %s\n", what);
    exit(1);
}

#endif
