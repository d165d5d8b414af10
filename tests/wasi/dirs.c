/* Directories: mkdir, rmdir, readdir over many entries (several fd_readdir calls, with
 * cookies), telldir/seekdir, rewinddir, stat of each type. */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int list(const char *path, int print) {
  DIR *d = opendir(path);
  if (!d) {
    printf("opendir %s: %s\n", path, ename(errno));
    return -1;
  }
  char *names[512];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 512) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char full[512];
    snprintf(full, sizeof full, "%s/%s", path, e->d_name);
    struct stat st;
    stat(full, &st);
    int dtype_ok = (e->d_type == DT_DIR) == S_ISDIR(st.st_mode) && e->d_ino == st.st_ino;
    char *s = malloc(strlen(e->d_name) + 8);
    sprintf(s, "%s%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "", dtype_ok ? "" : " (bad)");
    names[n++] = s;
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  if (print)
    for (int i = 0; i < n; i++) printf("  %s\n", names[i]);
  return n;
}

int main(void) {
  CHECK("mkdir", mkdir("/sandbox/d", 0755) == 0);
  CHECK("mkdir again", mkdir("/sandbox/d", 0755) == 0);
  CHECK("mkdir nested missing", mkdir("/sandbox/x/y", 0755) == 0);
  CHECK("mkdir sub", mkdir("/sandbox/d/sub", 0755) == 0);
  int fd = open("/sandbox/d/file.txt", O_WRONLY | O_CREAT, 0644);
  write(fd, "abc", 3);
  close(fd);
  printf("listing /sandbox/d:\n");
  list("/sandbox/d", 1);
  CHECK("rmdir non-empty", rmdir("/sandbox/d") == 0);
  CHECK("rmdir file", rmdir("/sandbox/d/file.txt") == 0);
  CHECK("rmdir sub", rmdir("/sandbox/d/sub") == 0);
  CHECK("rmdir missing", rmdir("/sandbox/d/sub") == 0);

  /* Enough long names that one fd_readdir buffer cannot hold them all. */
  mkdir("/sandbox/many", 0755);
  for (int i = 0; i < 300; i++) {
    char p[128];
    snprintf(p, sizeof p, "/sandbox/many/entry-with-a-rather-long-name-%03d", i);
    close(open(p, O_WRONLY | O_CREAT, 0644));
  }
  printf("many: %d entries\n", list("/sandbox/many", 0));

  /* telldir/seekdir: the cookie of an entry brings the listing back to it. */
  DIR *d = opendir("/sandbox/many");
  struct dirent *e;
  for (int i = 0; i < 100; i++) readdir(d);
  long pos = telldir(d);
  e = readdir(d);
  char want[256];
  strcpy(want, e->d_name);
  for (int i = 0; i < 50; i++) readdir(d);
  seekdir(d, pos);
  e = readdir(d);
  printf("seekdir returns to the same entry: %d\n", strcmp(want, e->d_name) == 0);
  rewinddir(d);
  int again = 0;
  while (readdir(d)) again++;
  printf("after rewinddir: %d entries (with . and ..)\n", again);
  closedir(d);

  struct stat st;
  stat("/sandbox/d", &st);
  printf("d is a directory: %d\n", S_ISDIR(st.st_mode));
  fd = open("/sandbox/d", O_RDONLY | O_DIRECTORY);
  CHECK("open dir", fd >= 0);
  CHECK("fstat dir", fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
  CHECK("read dir fd", read(fd, want, 1) >= 0);
  CHECK("openat relative", openat(fd, "file.txt", O_RDONLY) >= 0);
  close(fd);
  CHECK("unlink file", unlink("/sandbox/d/file.txt") == 0);
  CHECK("rmdir d", rmdir("/sandbox/d") == 0);
  printf("listing /sandbox:\n");
  list("/sandbox", 1);
  return 0;
}
