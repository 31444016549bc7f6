// Parent ops before and at the clone: trace, log pipes, the cgroup and namespaces to join, and clone3
// itself (into new namespaces and straight into the container's cgroup).
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ops.h"

int op_trace(struct launch *l, struct op *op) {
  (void)l; (void)op;
  return 0;  // plan_read already turned timing on
}

int op_stdio_pipes(struct launch *l, struct op *op) {
  (void)op;
  int o[2], e[2];
  if (pipe2(o, O_CLOEXEC) != 0) return errno;
  if (pipe2(e, O_CLOEXEC) != 0) { int err = errno; close(o[0]); close(o[1]); return err; }
  l->stdio_out[0] = o[1];
  l->stdio_out[1] = e[1];
  l->log_in[0] = o[0];
  l->log_in[1] = e[0];
  return 0;
}

int op_open_cgroup(struct launch *l, struct op *op) {
  l->cgroup_fd = open(op->args[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return l->cgroup_fd < 0 ? errno : 0;
}

int op_join(struct launch *l, struct op *op) {
  (void)l;
  uint64_t pid, flags;
  int e = parse_u64(op->args[0], 10, INT32_MAX, &pid);
  if (!e) e = parse_u64(op->args[1], 10, UINT32_MAX, &flags);
  if (e) return e;
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) return errno;
  int r = setns(pidfd, (int)flags);
  e = errno;
  close(pidfd);
  return r ? e : 0;
}

int op_clone(struct launch *l, struct op *op) {
  char **a = op->args;
  uint64_t flags;
  int e = parse_u64(a[0], 10, UINT64_MAX, &flags);
  if (e) return e;
  int sp[2], ep[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return errno;
  if (pipe2(ep, O_CLOEXEC) != 0) { e = errno; close(sp[0]); close(sp[1]); return e; }
  int cgfd = l->cgroup_fd;
  if (a[1][0]) {
    cgfd = open(a[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) { e = errno; close(sp[0]); close(sp[1]); close(ep[0]); close(ep[1]); return e; }
  }
  if (cgfd >= 0) flags |= CLONE_INTO_CGROUP;
  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  int pidfd = -1;
  ca.flags = flags | CLONE_PIDFD;
  ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
  ca.exit_signal = SIGCHLD;
  ca.cgroup = cgfd < 0 ? 0 : (uint64_t)cgfd;
  long pid = syscall(SYS_clone3, &ca, sizeof ca);
  e = errno;
  if (pid == 0) {
    close(sp[0]);
    close(ep[0]);
    child_main(l->plan, sp[1], ep[1], l->stdio_out);
  }
  if (cgfd >= 0) close(cgfd);
  if (l->cgroup_fd >= 0 && l->cgroup_fd == cgfd) l->cgroup_fd = -1;
  close(sp[1]);
  close(ep[1]);
  if (pid < 0) { close(sp[0]); close(ep[0]); return e; }
  // Only the child writes its stdout/stderr pipes: closing our copies lets us see EOF.
  if (l->stdio_out[0] >= 0) { close(l->stdio_out[0]); close(l->stdio_out[1]); l->stdio_out[0] = l->stdio_out[1] = -1; }
  l->child = (pid_t)pid;
  l->pidfd = pidfd;
  l->sync_fd = sp[0];
  l->err_fd = ep[0];
  return 0;
}
