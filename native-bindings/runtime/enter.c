// `enter PIDFILE PROG ARGS...`: step into skiff's rootless engine namespace (user, then mount, then
// net, as nsenter does) held by the process named in PIDFILE ("pid starttime"), then exec PROG as
// "root" inside it. The start time guards against a recycled pid. If the holder is gone, PROG runs
// outside with SKIFF_ENGINE_NS unset, and the CLI makes a fresh engine namespace.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "runtime.h"

static int read_starttime(long pid, char *out, size_t n) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return -1;
  buf[r] = '\0';
  // Field 22; the command name (field 2) may hold spaces, so count from the last ')'.
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  int field = 2;
  for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
    if (++field == 22) { snprintf(out, n, "%s", tok); return 0; }
  return -1;
}

static int join_holder(const char *pidfile) {
  FILE *f = fopen(pidfile, "re");
  if (!f) return -1;
  long pid;
  char want[32], have[32];
  int ok = fscanf(f, "%ld %31s", &pid, want) == 2;
  fclose(f);
  if (!ok || read_starttime(pid, have, sizeof have) != 0 || strcmp(want, have) != 0) return -1;
  const char *kinds[] = {"user", "mnt", "net"};
  int fds[3];
  for (int i = 0; i < 3; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, kinds[i]);
    if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) return -1;
  }
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "/");
  if (setns(fds[0], CLONE_NEWUSER) != 0) return -1;
  if (setns(fds[1], CLONE_NEWNS) != 0 || setns(fds[2], CLONE_NEWNET) != 0) {
    // Half inside is worse than outside: the user namespace cannot be left again.
    fprintf(stderr, "skiff: cannot enter the engine namespace: %s\n", strerror(errno));
    exit(125);
  }
  for (int i = 0; i < 3; i++) close(fds[i]);
  if (chdir(cwd) != 0 && chdir("/") != 0) {}
  return 0;
}

int cmd_enter(int argc, char **argv) {
  if (join_holder(argv[0]) != 0) unsetenv("SKIFF_ENGINE_NS");
  execvp(argv[1], argv + 1);
  fprintf(stderr, "skiff: cannot start %s: %s\n", argv[1], strerror(errno));
  return 125;
  (void)argc;
}
