/* Sandbox escape attempts: every one must fail and leave the host untouched.
 * /sandbox is preopened; outside.txt sits next to it on the host (not granted), and the
 * harness planted /sandbox/planted -> ../outside.txt. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  struct stat st;
  char buf[64];
  CHECK("open ../", open("/sandbox/../outside.txt", O_RDONLY) >= 0);
  CHECK("open sub/../../", open("/sandbox/sub/../../outside.txt", O_RDONLY) >= 0);
  CHECK("create ../", open("/sandbox/../created.txt", O_WRONLY | O_CREAT, 0644) >= 0);
  CHECK("truncate ../", open("/sandbox/../outside.txt", O_WRONLY | O_TRUNC) >= 0);
  CHECK("open absolute host path", open("/etc/passwd", O_RDONLY) >= 0);
  CHECK("stat ../", stat("/sandbox/../outside.txt", &st) == 0);
  CHECK("opendir ..", opendir("/sandbox/..") != NULL);
  CHECK("mkdir ../", mkdir("/sandbox/../newdir", 0755) == 0);
  CHECK("unlink ../", unlink("/sandbox/../outside.txt") == 0);
  CHECK("open planted link", open("/sandbox/planted", O_RDONLY) >= 0);
  CHECK("write through planted link", open("/sandbox/planted", O_WRONLY | O_TRUNC) >= 0);
  CHECK("stat planted link", stat("/sandbox/planted", &st) == 0);
  CHECK("lstat planted link", lstat("/sandbox/planted", &st) == 0);
  CHECK("symlink to absolute", symlink("/etc/passwd", "/sandbox/abs") == 0);
  CHECK("symlink to ../", symlink("../outside.txt", "/sandbox/evil") == 0);
  CHECK("open own link out", open("/sandbox/evil", O_RDONLY) >= 0);
  CHECK("readlink own link", readlink("/sandbox/evil", buf, sizeof buf) == 14);
  int fd = open("/sandbox/inside.txt", O_WRONLY | O_CREAT, 0644);
  write(fd, "inside", 6);
  close(fd);
  CHECK("rename out", rename("/sandbox/inside.txt", "/sandbox/../stolen.txt") == 0);
  CHECK("rename in", rename("/sandbox/../outside.txt", "/sandbox/grabbed.txt") == 0);
  CHECK("rename over outside", rename("/sandbox/inside.txt", "/sandbox/../outside.txt") == 0);
  CHECK("link out", link("/sandbox/inside.txt", "/sandbox/../linked.txt") == 0);
  CHECK("link in", link("/sandbox/../outside.txt", "/sandbox/linked.txt") == 0);
  CHECK("link via planted", link("/sandbox/planted", "/sandbox/linked2.txt") == 0);
  CHECK("inside still there", access("/sandbox/inside.txt", F_OK) == 0);
  fd = open("/sandbox", O_RDONLY | O_DIRECTORY);
  CHECK("openat ..", openat(fd, "..", O_RDONLY | O_DIRECTORY) >= 0);
  CHECK("openat ../outside.txt", openat(fd, "../outside.txt", O_RDONLY) >= 0);
  close(fd);
  return 0;
}
