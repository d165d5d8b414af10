/* Symbolic links inside the sandbox: create, read, follow, lstat, dangling, loops. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int fd = open("/sandbox/target.txt", O_WRONLY | O_CREAT, 0644);
  write(fd, "through the link\n", 17);
  close(fd);
  mkdir("/sandbox/sub", 0755);
  CHECK("symlink", symlink("target.txt", "/sandbox/link") == 0);
  CHECK("symlink to ../", symlink("../target.txt", "/sandbox/sub/up") == 0);
  CHECK("symlink exists", symlink("target.txt", "/sandbox/link") == 0);
  char buf[64] = {0};
  ssize_t n = readlink("/sandbox/link", buf, sizeof buf);
  printf("readlink: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
  n = readlink("/sandbox/link", buf, 4);
  printf("readlink truncated: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
  CHECK("readlink of a file", readlink("/sandbox/target.txt", buf, sizeof buf) >= 0);
  struct stat st;
  lstat("/sandbox/link", &st);
  printf("lstat: link %d\n", S_ISLNK(st.st_mode));
  stat("/sandbox/link", &st);
  printf("stat: regular %d size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
  fd = open("/sandbox/sub/up", O_RDONLY);
  CHECK("open through ../ link", fd >= 0);
  memset(buf, 0, sizeof buf);
  read(fd, buf, sizeof buf - 1);
  printf("read: %s", buf);
  close(fd);
  CHECK("O_NOFOLLOW on link", open("/sandbox/link", O_RDONLY | O_NOFOLLOW) >= 0);
  CHECK("dangling symlink", symlink("nowhere", "/sandbox/dangling") == 0);
  CHECK("open dangling", open("/sandbox/dangling", O_RDONLY) >= 0);
  CHECK("loop a", symlink("loop-b", "/sandbox/loop-a") == 0);
  CHECK("loop b", symlink("loop-a", "/sandbox/loop-b") == 0);
  CHECK("open loop", open("/sandbox/loop-a", O_RDONLY) >= 0);
  CHECK("unlink link", unlink("/sandbox/link") == 0);
  CHECK("target still there", access("/sandbox/target.txt", F_OK) == 0);
  CHECK("utimensat nofollow", utimensat(AT_FDCWD, "/sandbox/dangling", NULL, AT_SYMLINK_NOFOLLOW) == 0);
  return 0;
}
