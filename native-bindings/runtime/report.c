// Lines to the TypeScript side on fd 4: "pid N", "step <role> <idx> <usec>", "error <role> <idx> <errno>",
// "exec-ok", "exit N", "signaled N". One write per line so lines from parent and child never interleave.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "runtime.h"

void report(const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  while (write(FD_REPORT, line, (size_t)n) < 0 && errno == EINTR) {}
}

uint64_t now_usec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
