/* BLAKE3 (the C implementation the blake3 crate bundles, portable code): hashes generated data
 * in the three modes (hash, keyed hash, key derivation), in one long update and in many small
 * ones, and reads extended output. Prints the digests. */
#include "common.h"
#include "blake3.h"

#define LEN (8u << 20)
#define ROUNDS 12

static void hex(const uint8_t *p, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", p[i]);
}

int main(void) {
    uint8_t *buf = malloc(LEN);
    if (!buf) die("out of memory");
    gen_text(buf, LEN, 0xb1a3e3);
    rng_t r = {4242};
    uint8_t key[BLAKE3_KEY_LEN];
    for (size_t i = 0; i < sizeof key; i++) key[i] = (uint8_t)rng_next(&r);
    uint32_t h = FNV_INIT;
    char text[2 * 64 + 1];
    for (int round = 0; round < ROUNDS; round++) {
        if (round > 0) mutate(buf, LEN, &r, 16);
        uint8_t out[64];
        blake3_hasher hasher;
        /* one long update */
        blake3_hasher_init(&hasher);
        blake3_hasher_update(&hasher, buf, LEN);
        blake3_hasher_finalize(&hasher, out, 32);
        hex(out, 32, text);
        printf("round %d: hash %s\n", round, text);
        h = fnv1a(h, out, 32);
        /* keyed, fed in uneven small pieces */
        blake3_hasher_init_keyed(&hasher, key);
        for (size_t at = 0; at < LEN;) {
            size_t n = 1 + rng_below(&r, 3000);
            if (n > LEN - at) n = LEN - at;
            blake3_hasher_update(&hasher, buf + at, n);
            at += n;
        }
        blake3_hasher_finalize(&hasher, out, 64);
        hex(out, 64, text);
        printf("round %d: keyed %s\n", round, text);
        h = fnv1a(h, out, 64);
        /* many short messages: derive a key from each 64-byte line of the first 1 MiB */
        uint32_t lines = FNV_INIT;
        for (size_t at = 0; at + 64 <= (1u << 20); at += 64) {
            blake3_hasher_init_derive_key(&hasher, "tierup corpus 2026 blake3 derive");
            blake3_hasher_update(&hasher, buf + at, 64);
            blake3_hasher_finalize(&hasher, out, 32);
            lines = fnv1a(lines, out, 32);
        }
        printf("round %d: derived keys %08x\n", round, lines);
        h ^= lines;
    }
    /* extended output: 1 MiB of XOF stream */
    blake3_hasher hasher;
    blake3_hasher_init(&hasher);
    blake3_hasher_update(&hasher, buf, 4096);
    uint8_t *xof = malloc(1u << 20);
    if (!xof) die("out of memory");
    blake3_hasher_finalize_seek(&hasher, 12345, xof, 1u << 20);
    h = fnv1a(h, xof, 1u << 20);
    printf("blake3 %s: %d rounds of %u bytes, checksum %08x\n", blake3_version(), ROUNDS, LEN, h);
    return 0;
}
