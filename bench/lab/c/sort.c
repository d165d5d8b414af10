/* Quicksort of 400,000 pseudo-random integers; prints a checksum of the sorted array. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t state = 12345;
static uint32_t next(void) { state = state * 1103515245u + 12345u; return state >> 1; }

static void quicksort(int32_t *a, long lo, long hi) {
    while (lo < hi) {
        int32_t pivot = a[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { int32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; } else { quicksort(a, i, hi); hi = j; }
    }
}

int main(void) {
    const long n = 400000;
    int32_t *a = malloc(n * sizeof *a);
    if (!a) return 1;
    for (long i = 0; i < n; i++) a[i] = (int32_t)(next() % 1000000);
    quicksort(a, 0, n - 1);
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) { printf("not sorted at %ld\n", i); return 1; }
        sum = sum * 31 + (uint64_t)a[i];
    }
    printf("sorted %ld numbers, checksum %llu\n", n, (unsigned long long)sum);
    free(a);
    return 0;
}
