/* Lab corpus: an open-addressing hash set of 32-bit keys (linear probing, grows at 50% load),
 * the shape of a program whose work is short calls from one long loop: insert 2^20
 * pseudo-random keys, look up as many present and absent ones, delete half, look up again.
 * Prints counts and a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    uint32_t *slots; /* 0 = empty, 1 = deleted, else key */
    uint32_t mask;
    uint32_t used;   /* live keys plus tombstones */
    uint32_t live;
} set_t;

static uint32_t hash(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static void set_init(set_t *s, uint32_t capacity) {
    s->slots = calloc(capacity, sizeof(uint32_t));
    s->mask = capacity - 1;
    s->used = s->live = 0;
}

static int set_insert(set_t *s, uint32_t key);

static void set_grow(set_t *s) {
    set_t bigger;
    set_init(&bigger, (s->mask + 1) * 2);
    for (uint32_t i = 0; i <= s->mask; i++)
        if (s->slots[i] > 1) set_insert(&bigger, s->slots[i]);
    free(s->slots);
    *s = bigger;
}

static int set_insert(set_t *s, uint32_t key) {
    if ((s->used + 1) * 2 > s->mask + 1) set_grow(s);
    uint32_t i = hash(key) & s->mask;
    while (s->slots[i] != 0) {
        if (s->slots[i] == key) return 0;
        i = (i + 1) & s->mask;
    }
    s->slots[i] = key;
    s->used++;
    s->live++;
    return 1;
}

static int set_contains(const set_t *s, uint32_t key) {
    uint32_t i = hash(key) & s->mask;
    while (s->slots[i] != 0) {
        if (s->slots[i] == key) return 1;
        i = (i + 1) & s->mask;
    }
    return 0;
}

static int set_remove(set_t *s, uint32_t key) {
    uint32_t i = hash(key) & s->mask;
    while (s->slots[i] != 0) {
        if (s->slots[i] == key) {
            s->slots[i] = 1;
            s->live--;
            return 1;
        }
        i = (i + 1) & s->mask;
    }
    return 0;
}

static uint32_t rng = 2463534242U;
static uint32_t next_key(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng | 2; /* never 0 or 1 */
}

int main(void) {
    enum { N = 1 << 20 };
    set_t s;
    set_init(&s, 16);
    uint32_t inserted = 0, found = 0, absent = 0, removed = 0, checksum = 0;
    uint32_t seed = rng;
    for (uint32_t i = 0; i < N; i++) inserted += set_insert(&s, next_key());
    rng = seed;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t key = next_key();
        found += set_contains(&s, key);
        absent += !set_contains(&s, key ^ 0x80000000U);
    }
    rng = seed;
    for (uint32_t i = 0; i < N; i += 2) {
        removed += set_remove(&s, next_key());
        next_key();
    }
    rng = seed;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t key = next_key();
        if (set_contains(&s, key)) checksum = checksum * 31 + (key >> 7);
    }
    printf("inserted %u found %u absent %u removed %u live %u capacity %u checksum %u\n",
           inserted, found, absent, removed, s.live, s.mask + 1, checksum);
    return 0;
}
