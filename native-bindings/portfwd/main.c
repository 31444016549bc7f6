// skiff-portfwd --socket PATH --pid ENGINE_PID [--mark N] [--ready-fd N] [--exit-fd N]
// --mark: the SO_MARK of sockets that keep a client's address (the engine's routing, set up by
// src/network/rootless/source-routing.ts, sends the container's replies to such sockets back to them).
// Started by the engine's uplink (src/network/rootless/uplink.ts) on the host side, next to
// slirp4netns; ends when --exit-fd reports EOF (the engine's holder is gone) or its helper child dies.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "portfwd.h"

static void __attribute__((noreturn)) die(const char *what) {
  fprintf(stderr, "skiff-portfwd: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int number(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end != 0 || v < 0 || v > 1 << 30) { fprintf(stderr, "skiff-portfwd: bad number %s\n", s); exit(2); }
  return (int)v;
}

int main(int argc, char **argv) {
  const char *path = NULL;
  int pid = -1, ready_fd = -1, exit_fd = -1;
  unsigned mark = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--socket")) path = argv[i + 1];
    else if (!strcmp(argv[i], "--pid")) pid = number(argv[i + 1]);
    else if (!strcmp(argv[i], "--ready-fd")) ready_fd = number(argv[i + 1]);
    else if (!strcmp(argv[i], "--mark")) mark = (unsigned)number(argv[i + 1]);
    else if (!strcmp(argv[i], "--exit-fd")) exit_fd = number(argv[i + 1]);
    else { fprintf(stderr, "skiff-portfwd: unknown option %s\n", argv[i]); return 2; }
  }
  if (!path || pid <= 0) {
    fprintf(stderr, "usage: skiff-portfwd --socket PATH --pid ENGINE_PID [--mark N] [--ready-fd N] [--exit-fd N]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  /* Six descriptors a connection (two sockets, two pipes): take what the hard limit allows. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  char ns[64];
  snprintf(ns, sizeof ns, "/proc/%d/ns/user", pid);
  int userns = open(ns, O_RDONLY | O_CLOEXEC);
  if (userns < 0) die(ns);
  snprintf(ns, sizeof ns, "/proc/%d/ns/net", pid);
  int netns = open(ns, O_RDONLY | O_CLOEXEC);
  if (netns < 0) die(ns);
  int inner = inner_start(userns, netns, mark);
  if (inner < 0) die("cannot start the helper inside the engine's namespaces");
  close(userns);
  close(netns);

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) { errno = ENAMETOOLONG; die(path); }
  strcpy(addr.sun_path, path);
  unlink(path);
  int ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ctl < 0) die("socket");
  mode_t old = umask(0077);
  if (bind(ctl, (struct sockaddr *)&addr, sizeof addr) != 0) die(path);
  umask(old);
  if (listen(ctl, 64) != 0) die("listen");
  if (relay_init(inner, ctl, exit_fd) != 0) die("epoll");
  if (ready_fd >= 0) {
    if (write(ready_fd, "1", 1) != 1) die("ready-fd");
    close(ready_fd);
  }
  relay_run();
}
