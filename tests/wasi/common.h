/* Helpers shared by the WASI test programs (compiled for wasm32-wasi). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The name of an errno value, so expected outputs do not depend on strerror's wording. */
static const char *ename(int e) {
  switch (e) {
  case 0: return "OK";
  case EACCES: return "EACCES";
  case EBADF: return "EBADF";
  case EEXIST: return "EEXIST";
  case EINVAL: return "EINVAL";
  case EIO: return "EIO";
  case EISDIR: return "EISDIR";
  case ELOOP: return "ELOOP";
  case ENOENT: return "ENOENT";
  case ENOTDIR: return "ENOTDIR";
  case ENOTSOCK: return "ENOTSOCK";
  case ENOTEMPTY: return "ENOTEMPTY";
  case ENOTSUP: return "ENOTSUP";
  case EPERM: return "EPERM";
  case ESPIPE: return "ESPIPE";
  case EXDEV: return "EXDEV";
  case ENOTCAPABLE: return "ENOTCAPABLE";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  default: return "E?";
  }
}

/* Prints `label: OK` when `ok` is true, else `label: <errno name>` (or `FAILED` when errno
 * was not set). */
#define CHECK(label, ok)                                                       \
  do {                                                                         \
    errno = 0;                                                                 \
    int ok_ = (ok);                                                            \
    printf("%s: %s\n", (label), ok_ ? "OK" : errno ? ename(errno) : "FAILED"); \
  } while (0)

/* For calls that return an error number instead of setting errno (posix_fallocate...). */
#define CHECK_RC(label, call)                                                  \
  do {                                                                         \
    int rc_ = (call);                                                          \
    printf("%s: %s\n", (label), ename(rc_));                                   \
  } while (0)
