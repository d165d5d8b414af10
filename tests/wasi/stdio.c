/* Standard streams: reads all of stdin (checking poll readiness first), writes it back
 * upper-cased to stdout, a note to stderr; reports what the streams are. */
#include "common.h"
#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  struct pollfd in = {0, POLLIN, 0}, out = {1, POLLOUT, 0};
  int r_in = poll(&in, 1, 10000);
  int r_out = poll(&out, 1, 10000);
  printf("poll: stdin-readable %d stdout-writable %d\n", r_in == 1 && (in.revents & (POLLIN | POLLHUP)) != 0,
         r_out == 1 && (out.revents & POLLOUT) != 0);
  printf("isatty: %d %d %d\n", isatty(0), isatty(1), isatty(2));
  CHECK("seek stdout", lseek(1, 0, SEEK_CUR) >= 0);
  CHECK("write to stdin", write(0, "x", 1) >= 0);
  char buf[4096];
  long total = 0;
  ssize_t n;
  fflush(stdout);
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) buf[i] = toupper((unsigned char)buf[i]);
    write(1, buf, n);
    total += n;
  }
  printf("\nread %ld bytes from stdin\n", total);
  fprintf(stderr, "this goes to stderr\n");
  CHECK("close stdin", close(0) == 0);
  CHECK("read closed stdin", read(0, buf, 1) >= 0);
  return 0;
}
