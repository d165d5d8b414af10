/* Exit codes: `exit.wasm N` exits with N; `exit.wasm trap` traps; `exit.wasm main N`
 * returns N from main. Output is flushed before exiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void crash_here(void) { __builtin_trap(); }

int main(int argc, char **argv) {
  printf("before exit\n");
  if (argc > 1 && strcmp(argv[1], "trap") == 0) {
    fflush(stdout);
    crash_here();
  }
  if (argc > 2 && strcmp(argv[1], "main") == 0) return atoi(argv[2]);
  exit(argc > 1 ? atoi(argv[1]) : 0);
}
