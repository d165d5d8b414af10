/* The sieve of Eratosthenes below 8,000,000, five times; prints the number of primes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    const int n = 8000000;
    unsigned char *composite = malloc(n);
    if (!composite) return 1;
    int count = 0;
    for (int round = 0; round < 5; round++) {
        memset(composite, 0, n);
        count = 0;
        for (int i = 2; i < n; i++) {
            if (composite[i]) continue;
            count++;
            for (long j = (long)i * i; j < n; j += i) composite[j] = 1;
        }
    }
    printf("%d primes below %d\n", count, n);
    free(composite);
    return 0;
}
