/* LZ4 (the liblz4 that lz4-sys bundles): fast and high-compression (HC level 9) round trips of
 * generated text, with XXH32 and XXH64 checksums (xxhash.c). Prints sizes and checksums. */
#include "common.h"
#include "lz4.h"
#include "lz4hc.h"
#include "xxhash.h"

#define LEN (2u << 20)
#define ROUNDS 2

int main(void) {
    int cap = LZ4_compressBound(LEN);
    uint8_t *src = malloc(LEN), *dst = malloc(LEN), *comp = malloc((size_t)cap);
    if (!src || !dst || !comp) die("out of memory");
    gen_text(src, LEN, 0x1a4c0de);
    rng_t r = {99};
    uint32_t h = FNV_INIT;
    unsigned long total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        if (round > 0) mutate(src, LEN, &r, 64);
        for (int hc = 0; hc <= 1; hc++) {
            int n = hc ? LZ4_compress_HC((const char *)src, (char *)comp, LEN, cap, 9)
                       : LZ4_compress_default((const char *)src, (char *)comp, LEN, cap);
            if (n <= 0) die("compress");
            int m = LZ4_decompress_safe((const char *)comp, (char *)dst, n, LEN);
            if (m != (int)LEN || memcmp(src, dst, LEN) != 0) die("round trip differs");
            h = fnv1a(h, comp, (size_t)n);
            total += (unsigned long)n;
            printf("round %d %s: %u -> %d bytes, xxh32 %08x, xxh64 %016llx\n", round,
                   hc ? "hc9" : "fast", LEN, n, XXH32(comp, (size_t)n, 0),
                   (unsigned long long)XXH64(src, LEN, (unsigned long long)round));
        }
    }
    printf("lz4 %s: %d rounds of %u bytes, %lu compressed, checksum %08x\n", LZ4_versionString(),
           ROUNDS, LEN, total, h);
    return 0;
}
