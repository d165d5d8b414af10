/* WASI edge cases real programs hit, in the preopened directory /sandbox (fd 3):
 * - path_open of a directory with the rights the directory was granted (which include
 *   write-like rights such as fd_datasync) opens it as a directory;
 * - a file opened with O_APPEND for pwrite opens, with O_TRUNC too, and read-only;
 * - sock_* calls on descriptors that are not sockets fail with ENOTSOCK. */
#include "common.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static const char *werr(__wasi_errno_t e) {
  switch (e) {
  case __WASI_ERRNO_SUCCESS: return "OK";
  case __WASI_ERRNO_BADF: return "EBADF";
  case __WASI_ERRNO_INVAL: return "EINVAL";
  case __WASI_ERRNO_ISDIR: return "EISDIR";
  case __WASI_ERRNO_NOTDIR: return "ENOTDIR";
  case __WASI_ERRNO_NOTSOCK: return "ENOTSOCK";
  case __WASI_ERRNO_NOTSUP: return "ENOTSUP";
  case __WASI_ERRNO_NOTCAPABLE: return "ENOTCAPABLE";
  default: return "E?";
  }
}

static void list(__wasi_fd_t fd) {
  uint8_t buf[512];
  __wasi_size_t used = 0;
  __wasi_errno_t e = __wasi_fd_readdir(fd, buf, sizeof buf, 0, &used);
  printf("  readdir: %s,", werr(e));
  for (__wasi_size_t at = 0; e == 0 && at + sizeof(__wasi_dirent_t) <= used;) {
    __wasi_dirent_t d;
    memcpy(&d, buf + at, sizeof d);
    at += sizeof d;
    printf(" %.*s", (int)d.d_namlen, (const char *)buf + at);
    at += d.d_namlen;
  }
  printf("\n");
}

static void open_dir(const char *label, __wasi_rights_t base, __wasi_rights_t inheriting,
                     __wasi_oflags_t oflags, __wasi_fdflags_t fdflags) {
  __wasi_fd_t fd = 0;
  __wasi_errno_t e = __wasi_path_open(3, 0, "sub", oflags, base, inheriting, fdflags, &fd);
  printf("%s: %s\n", label, werr(e));
  if (e != 0)
    return;
  __wasi_fdstat_t st;
  e = __wasi_fd_fdstat_get(fd, &st);
  printf("  fdstat: %s, directory %d, rights within the granted ones %d\n", werr(e),
         st.fs_filetype == __WASI_FILETYPE_DIRECTORY, (st.fs_rights_base & ~base) == 0);
  list(fd);
  (void)__wasi_fd_close(fd);
}

int main(void) {
  /* -- a directory opened with the rights it was granted -- */
  CHECK("mkdir sub", mkdir("/sandbox/sub", 0755) == 0);
  int f = open("/sandbox/sub/inner.txt", O_WRONLY | O_CREAT, 0644);
  close(f);
  __wasi_fdstat_t pre;
  CHECK("fdstat of the preopen", __wasi_fd_fdstat_get(3, &pre) == 0);
  open_dir("open sub with the preopen's inheriting rights", pre.fs_rights_inheriting,
           pre.fs_rights_inheriting, 0, 0);
  open_dir("open sub with the preopen's own rights", pre.fs_rights_base,
           pre.fs_rights_inheriting, 0, 0);
  open_dir("open sub with O_DIRECTORY and all rights", pre.fs_rights_inheriting,
           pre.fs_rights_inheriting, __WASI_OFLAGS_DIRECTORY, 0);
  open_dir("open sub with fd_write only", __WASI_RIGHTS_FD_WRITE, 0, 0, 0);
  open_dir("open sub O_TRUNC", pre.fs_rights_inheriting, 0, __WASI_OFLAGS_TRUNC, 0);
  int d = open("/sandbox/sub", O_RDONLY);
  CHECK("open(sub, O_RDONLY)", d >= 0);
  close(d);
  CHECK("open(sub, O_RDWR)", open("/sandbox/sub", O_RDWR) >= 0);

  /* -- O_APPEND for pwrite. O_APPEND with O_TRUNC used to fail (EINVAL); pwrite on an
   * append fd appends whatever the offset, as on Linux. -- */
  f = open("/sandbox/log.txt", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  CHECK("open(O_WRONLY | O_CREAT | O_TRUNC | O_APPEND)", f >= 0);
  CHECK("write", write(f, "0123456789", 10) == 10);
  CHECK("pwrite at 0", pwrite(f, "AB", 2, 0) == 2);
  printf("append flag: %d\n", (fcntl(f, F_GETFL) & O_APPEND) != 0);
  close(f);
  __wasi_fd_t afd = 0;
  __wasi_errno_t e = __wasi_path_open(3, 0, "log.txt", __WASI_OFLAGS_TRUNC,
                                      __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK, 0,
                                      __WASI_FDFLAGS_APPEND, &afd);
  printf("path_open O_TRUNC + APPEND with the rights of pwrite: %s\n", werr(e));
  __wasi_ciovec_t iov = {(const uint8_t *)"CD", 2};
  __wasi_size_t n = 0;
  e = __wasi_fd_pwrite(afd, &iov, 1, 3, &n);
  printf("fd_pwrite: %s %u\n", werr(e), (unsigned)n);
  iov.buf = (const uint8_t *)"++";
  e = __wasi_fd_write(afd, &iov, 1, &n);
  printf("fd_write: %s %u\n", werr(e), (unsigned)n);
  __wasi_fdstat_t ast;
  e = __wasi_fd_fdstat_get(afd, &ast);
  printf("fdstat: %s, append %d\n", werr(e), (ast.fs_flags & __WASI_FDFLAGS_APPEND) != 0);
  (void)__wasi_fd_close(afd);
  f = open("/sandbox/log.txt", O_RDWR | O_APPEND);
  CHECK("open(O_RDWR | O_APPEND)", f >= 0);
  CHECK("pwrite(O_RDWR | O_APPEND)", pwrite(f, "EF", 2, 0) == 2);
  close(f);
  f = open("/sandbox/log.txt", O_RDONLY | O_APPEND);
  CHECK("open(O_RDONLY | O_APPEND)", f >= 0);
  printf("append flag: %d\n", (fcntl(f, F_GETFL) & O_APPEND) != 0);
  char buf[64] = {0};
  CHECK("read", read(f, buf, sizeof buf - 1) == 6);
  printf("log: [%s]\n", buf);
  CHECK("write without the right", write(f, "x", 1) == 1);
  close(f);

  /* -- sockets: nothing here is one -- */
  char data[16];
  __wasi_iovec_t riov = {(uint8_t *)data, sizeof data};
  __wasi_roflags_t roflags = 0;
  printf("sock_recv on stdin: %s\n", werr(__wasi_sock_recv(0, &riov, 1, 0, &n, &roflags)));
  __wasi_ciovec_t siov = {(const uint8_t *)"x", 1};
  printf("sock_send on stdout: %s\n", werr(__wasi_sock_send(1, &siov, 1, 0, &n)));
  __wasi_fd_t accepted;
  printf("sock_accept on the preopen: %s\n", werr(__wasi_sock_accept(3, 0, &accepted)));
  f = open("/sandbox/log.txt", O_RDONLY);
  printf("sock_shutdown on a file: %s\n", werr(__wasi_sock_shutdown(f, __WASI_SDFLAGS_WR)));
  close(f);
  printf("sock_shutdown on a closed fd: %s\n", werr(__wasi_sock_shutdown(f, __WASI_SDFLAGS_WR)));
  CHECK("shutdown(2) on stderr", shutdown(2, SHUT_RDWR) == 0);
  return 0;
}
