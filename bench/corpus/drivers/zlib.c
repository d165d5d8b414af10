/* zlib (from libz-sys): deflate + inflate round trips (level 6, zlib format) of generated text
 * through the streaming API, reusing one z_stream of each kind. Prints sizes and checksums. */
#include "common.h"
#include "zlib.h"

#define LEN (2u << 20)
#define ROUNDS 4

int main(void) {
    z_stream d = {0}, in = {0};
    if (deflateInit(&d, 6) != Z_OK || inflateInit(&in) != Z_OK) die("init");
    uint8_t *src = malloc(LEN), *dst = malloc(LEN);
    uLong cap = deflateBound(&d, LEN);
    uint8_t *comp = malloc(cap);
    if (!src || !dst || !comp) die("out of memory");
    gen_text(src, LEN, 0x5eed2025);
    rng_t r = {777};
    uint32_t h = FNV_INIT;
    unsigned long total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        if (round > 0) mutate(src, LEN, &r, 64);
        deflateReset(&d);
        d.next_in = src;
        d.avail_in = LEN;
        d.next_out = comp;
        d.avail_out = (uInt)cap;
        if (deflate(&d, Z_FINISH) != Z_STREAM_END) die("deflate");
        uLong n = d.total_out;
        inflateReset(&in);
        in.next_in = comp;
        in.avail_in = (uInt)n;
        in.next_out = dst;
        in.avail_out = LEN;
        if (inflate(&in, Z_FINISH) != Z_STREAM_END) die("inflate");
        if (in.total_out != LEN || memcmp(src, dst, LEN) != 0) die("round trip differs");
        h = fnv1a(h, comp, n);
        total += n;
        printf("round %d: %u -> %lu bytes, adler32 %08lx, crc32 %08lx\n", round, LEN, n,
               adler32(1, src, LEN), crc32(0, src, LEN));
    }
    deflateEnd(&d);
    inflateEnd(&in);
    printf("zlib %s level 6: %d rounds of %u bytes, %lu compressed, checksum %08x\n",
           zlibVersion(), ROUNDS, LEN, total, h);
    return 0;
}
