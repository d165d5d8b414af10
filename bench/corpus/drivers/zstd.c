/* zstd (1.5.7, from zstd-sys): compress + decompress round trips at level 3 of 4 MiB of
 * generated text, with a fresh context pair reused across rounds. Prints sizes and checksums. */
#include "common.h"
#include "zstd.h"

#define LEN (4u << 20)
#define ROUNDS 16

int main(void) {
    uint8_t *src = malloc(LEN), *dst = malloc(LEN);
    size_t cap = ZSTD_compressBound(LEN);
    uint8_t *comp = malloc(cap);
    if (!src || !dst || !comp) die("out of memory");
    gen_text(src, LEN, 0x5eed2024);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    rng_t r = {12345};
    uint32_t h = FNV_INIT;
    size_t total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        if (round > 0) mutate(src, LEN, &r, 64);
        size_t n = ZSTD_compressCCtx(cctx, comp, cap, src, LEN, 3);
        if (ZSTD_isError(n)) die(ZSTD_getErrorName(n));
        size_t m = ZSTD_decompressDCtx(dctx, dst, LEN, comp, n);
        if (ZSTD_isError(m)) die(ZSTD_getErrorName(m));
        if (m != LEN || memcmp(src, dst, LEN) != 0) die("round trip differs");
        h = fnv1a(h, comp, n);
        total += n;
        printf("round %d: %u -> %zu bytes\n", round, LEN, n);
    }
    printf("zstd %s level 3: %d rounds of %u bytes, %zu compressed, checksum %08x\n",
           ZSTD_versionString(), ROUNDS, LEN, total, h);
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
    return 0;
}
