/* The acceptance program: copies a file between two preopened directories, lists a
 * directory, reads the environment and the arguments, and exits with code 3.
 * Run as: copy.wasm <from-dir> <to-dir> [more args], with --env GREETING=... */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
  const char *greeting = getenv("GREETING");
  printf("GREETING = %s\n", greeting ? greeting : "(unset)");
  printf("HOME = %s\n", getenv("HOME") ? getenv("HOME") : "(unset)");
  if (argc < 3) return 1;

  char src[256], dst[256];
  snprintf(src, sizeof src, "%s/input.txt", argv[1]);
  snprintf(dst, sizeof dst, "%s/copy.txt", argv[2]);
  int in = open(src, O_RDONLY);
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) {
    perror("open");
    return 1;
  }
  char buf[7]; /* small, so the copy takes many calls */
  long total = 0;
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    if (write(out, buf, n) != n) {
      perror("write");
      return 1;
    }
    total += n;
  }
  close(in);
  close(out);
  printf("copied %ld bytes\n", total);

  DIR *d = opendir(argv[1]);
  if (!d) {
    perror("opendir");
    return 1;
  }
  char *names[64];
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) && count < 64) names[count++] = strdup(e->d_name);
  closedir(d);
  qsort(names, count, sizeof names[0], cmp);
  for (int i = 0; i < count; i++) printf("entry: %s\n", names[i]);
  fflush(stdout);
  return 3;
}
