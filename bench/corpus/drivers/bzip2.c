/* bzip2 (1.0.8, from bzip2-sys): compress + decompress round trips (900k blocks) of generated
 * text with the buffer-to-buffer API. Prints sizes and checksums. Built with -DBZ_NO_STDIO. */
#include "common.h"
#include "bzlib.h"

#define LEN (1536u << 10)
#define ROUNDS 3

void bz_internal_error(int code) {
    fprintf(stderr, "bzip2 internal error %d\n", code);
    exit(1);
}

int main(void) {
    unsigned cap = LEN + LEN / 100 + 600;
    char *src = malloc(LEN), *dst = malloc(LEN), *comp = malloc(cap);
    if (!src || !dst || !comp) die("out of memory");
    gen_text((uint8_t *)src, LEN, 0x5eed2026);
    rng_t r = {4242};
    uint32_t h = FNV_INIT;
    unsigned long total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        if (round > 0) mutate((uint8_t *)src, LEN, &r, 64);
        unsigned n = cap, m = LEN;
        if (BZ2_bzBuffToBuffCompress(comp, &n, src, LEN, 9, 0, 30) != BZ_OK) die("compress");
        if (BZ2_bzBuffToBuffDecompress(dst, &m, comp, n, 0, 0) != BZ_OK) die("decompress");
        if (m != LEN || memcmp(src, dst, LEN) != 0) die("round trip differs");
        h = fnv1a(h, (const uint8_t *)comp, n);
        total += n;
        printf("round %d: %u -> %u bytes\n", round, LEN, n);
    }
    printf("bzip2 %s -9: %d rounds of %u bytes, %lu compressed, checksum %08x\n",
           BZ2_bzlibVersion(), ROUNDS, LEN, total, h);
    return 0;
}
