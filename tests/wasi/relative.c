/* The preopen is ".": relative paths resolve in it, and "../" must not leave it. */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int fd = open("here.txt", O_WRONLY | O_CREAT, 0644);
  CHECK("create relative", fd >= 0);
  write(fd, "here\n", 5);
  close(fd);
  struct stat st;
  CHECK("stat relative", stat("here.txt", &st) == 0 && st.st_size == 5);
  CHECK("open ../outside.txt", open("../outside.txt", O_RDONLY) >= 0);
  CHECK("create ../new.txt", open("../new.txt", O_WRONLY | O_CREAT, 0644) >= 0);
  CHECK("rename ../", rename("here.txt", "../here.txt") == 0);
  CHECK("open ./here.txt", open("./here.txt", O_RDONLY) >= 0);
  return 0;
}
