/* Files in the preopened directory /sandbox: create, write, read, pread/pwrite, seek/tell,
 * truncate, allocate, advise, sync, append, flags, times, rename, link, unlink. */
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void) {
  int fd = open("/sandbox/a.txt", O_RDWR | O_CREAT | O_EXCL, 0644);
  CHECK("create", fd >= 0);
  CHECK("create again (O_EXCL)", open("/sandbox/a.txt", O_RDWR | O_CREAT | O_EXCL, 0644) >= 0);
  CHECK("write", write(fd, "hello, world\n", 13) == 13);
  struct iovec iov[2] = {{"gather", 6}, {"ed\n", 3}};
  CHECK("writev", writev(fd, iov, 2) == 9);
  printf("tell: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  printf("seek end-3: %lld\n", (long long)lseek(fd, -3, SEEK_END));
  CHECK("seek negative", lseek(fd, -100, SEEK_SET) >= 0);
  char buf[64] = {0};
  CHECK("pread", pread(fd, buf, 5, 7) == 5);
  printf("pread: [%s]\n", buf);
  CHECK("pwrite", pwrite(fd, "WORLD", 5, 7) == 5);
  lseek(fd, 0, SEEK_SET);
  memset(buf, 0, sizeof buf);
  char part1[4] = {0}, part2[64] = {0};
  struct iovec riov[2] = {{part1, 3}, {part2, 60}};
  CHECK("readv", readv(fd, riov, 2) == 22);
  printf("readv: [%s] [%s]", part1, part2);
  CHECK("read at eof", read(fd, buf, 10) == 0);

  struct stat st;
  CHECK("fstat", fstat(fd, &st) == 0);
  printf("size %lld, regular %d, nlink %d\n", (long long)st.st_size, S_ISREG(st.st_mode), (int)st.st_nlink);
  CHECK("ftruncate", ftruncate(fd, 5) == 0);
  fstat(fd, &st);
  printf("size after truncate: %lld\n", (long long)st.st_size);
  CHECK_RC("posix_fallocate", posix_fallocate(fd, 0, 4096));
  fstat(fd, &st);
  printf("size after allocate: %lld\n", (long long)st.st_size);
  CHECK("ftruncate back", ftruncate(fd, 5) == 0);
  CHECK_RC("posix_fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
  CHECK("fsync", fsync(fd) == 0);
  CHECK("fdatasync", fdatasync(fd) == 0);

  struct timespec times[2] = {{1000000000, 5}, {1234567890, 123456789}};
  CHECK("futimens", futimens(fd, times) == 0);
  fstat(fd, &st);
  printf("mtime: %lld.%09ld atime: %lld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
         (long long)st.st_atim.tv_sec);
  struct timespec t2[2] = {{0, UTIME_OMIT}, {1500000000, 0}};
  CHECK("utimensat", utimensat(AT_FDCWD, "/sandbox/a.txt", t2, 0) == 0);
  CHECK("stat", stat("/sandbox/a.txt", &st) == 0);
  printf("mtime: %lld atime: %lld\n", (long long)st.st_mtim.tv_sec, (long long)st.st_atim.tv_sec);
  close(fd);
  CHECK("read closed fd", read(fd, buf, 1) >= 0);

  fd = open("/sandbox/a.txt", O_WRONLY | O_APPEND);
  CHECK("open append", fd >= 0);
  printf("append flag: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  CHECK("append write", write(fd, "++", 2) == 2);
  CHECK("clear append", fcntl(fd, F_SETFL, 0) == 0);
  printf("append flag: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  CHECK("read write-only fd", read(fd, buf, 1) >= 0);
  close(fd);
  fd = open("/sandbox/a.txt", O_RDONLY);
  memset(buf, 0, sizeof buf);
  read(fd, buf, sizeof buf - 1);
  printf("contents: [%s]\n", buf);
  CHECK("write read-only fd", write(fd, "x", 1) >= 0);
  close(fd);

  CHECK("open missing", open("/sandbox/missing.txt", O_RDONLY) >= 0);
  CHECK("open dir for writing", open("/sandbox", O_WRONLY) >= 0);
  CHECK("O_DIRECTORY on file", open("/sandbox/a.txt", O_RDONLY | O_DIRECTORY) >= 0);
  CHECK("rename", rename("/sandbox/a.txt", "/sandbox/b.txt") == 0);
  CHECK("old name gone", access("/sandbox/a.txt", F_OK) == 0);
  CHECK("link", link("/sandbox/b.txt", "/sandbox/c.txt") == 0);
  stat("/sandbox/b.txt", &st);
  printf("nlink after link: %d\n", (int)st.st_nlink);
  CHECK("unlink b", unlink("/sandbox/b.txt") == 0);
  CHECK("unlink c", unlink("/sandbox/c.txt") == 0);
  CHECK("unlink missing", unlink("/sandbox/c.txt") == 0);
  CHECK("unlink dir", unlink("/sandbox") == 0);
  fd = open("/sandbox/t.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  write(fd, "truncate me", 11);
  close(fd);
  fd = open("/sandbox/t.txt", O_WRONLY | O_TRUNC);
  fstat(fd, &st);
  printf("size after O_TRUNC: %lld\n", (long long)st.st_size);
  close(fd);
  FILE *f = fopen("/sandbox/t.txt", "w+");
  fprintf(f, "line %d\n", 42);
  rewind(f);
  char line[32] = {0};
  fgets(line, sizeof line, f);
  printf("stdio: %s", line);
  fclose(f);
  return 0;
}
