/* Arguments and environment exactly as granted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("argc = %d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d] = [%s]\n", i, argv[i]);
  int n = 0;
  for (char **e = environ; *e; e++) {
    printf("env: %s\n", *e);
    n++;
  }
  printf("environ count = %d\n", n);
  printf("PATH is %s\n", getenv("PATH") ? "set" : "unset");
  return 0;
}
