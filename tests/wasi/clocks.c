/* Clocks, sleeping (poll_oneoff with clock subscriptions), randomness, sched_yield.
 * Prints only facts that hold on every run. */
#include "common.h"
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
  struct timespec t, r;
  CHECK("realtime", clock_gettime(CLOCK_REALTIME, &t) == 0);
  printf("realtime after 2020: %d\n", t.tv_sec > 1577836800);
  printf("time() agrees: %d\n", llabs((long long)time(NULL) - t.tv_sec) <= 1);
  CHECK("realtime res", clock_getres(CLOCK_REALTIME, &r) == 0 && ns(r) > 0);
  CHECK("monotonic res", clock_getres(CLOCK_MONOTONIC, &r) == 0 && ns(r) > 0);
  CHECK("process cputime", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0 && ns(t) > 0);
  CHECK("thread cputime", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0 && ns(t) > 0);

  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec nap = {0, 20 * 1000 * 1000};
  CHECK("nanosleep", nanosleep(&nap, NULL) == 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("slept at least 20ms: %d\n", ns(b) - ns(a) >= 20000000LL);
  clock_gettime(CLOCK_MONOTONIC, &a);
  CHECK("usleep", usleep(10000) == 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("usleep at least 10ms: %d\n", ns(b) - ns(a) >= 10000000LL);
  clock_gettime(CLOCK_MONOTONIC, &a);
  CHECK("poll timeout", poll(NULL, 0, 15) == 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("poll waited at least 15ms: %d\n", ns(b) - ns(a) >= 15000000LL);
  struct timespec when;
  clock_gettime(CLOCK_REALTIME, &when);
  when.tv_nsec += 10 * 1000 * 1000;
  if (when.tv_nsec >= 1000000000) { when.tv_sec++; when.tv_nsec -= 1000000000; }
  CHECK_RC("clock_nanosleep absolute", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &when, NULL));
  clock_gettime(CLOCK_REALTIME, &a);
  printf("absolute deadline passed: %d\n", ns(a) >= ns(when));
  CHECK("sched_yield", sched_yield() == 0);

  unsigned char r1[64] = {0}, r2[64] = {0};
  CHECK("getentropy", getentropy(r1, sizeof r1) == 0);
  CHECK("getentropy again", getentropy(r2, sizeof r2) == 0);
  int zeros = 0;
  for (int i = 0; i < 64; i++) zeros += r1[i] == 0;
  printf("random differs: %d, not all zero: %d\n", memcmp(r1, r2, 64) != 0, zeros < 64);
  CHECK("getentropy too large", getentropy(r1, 257) == 0);
  printf("arc4random varies: %d\n", arc4random() != arc4random() || arc4random() != arc4random());
  return 0;
}
