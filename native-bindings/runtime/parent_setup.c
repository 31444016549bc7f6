// Parent ops before and at the clone: trace, the child's stdio, the cgroup and namespaces to join, and clone3
// itself (into new namespaces and straight into the container's cgroup).
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ops.h"

int op_trace(struct launch *l, struct op *op) {
  (void)l; (void)op;
  return 0;  // plan_read already turned timing on
}

// The clone inherits this flag: from its first instant until its execve (which resets it), the process
// entering a container cannot be ptraced, nor its /proc/<pid>/fd, mem, cwd or root opened, by anything
// in the container. The launcher itself stays non-dumpable: it holds host descriptors.
int op_non_dumpable(struct launch *l, struct op *op) {
  (void)l; (void)op;
  return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ? errno : 0;
}

// stdio IN OUT: IN "pipe" (the supervisor writes the child's stdin) or "null"; OUT "pipes" (stdout and
// stderr apart, read by the supervisor) or "null" (a pty replaces them later). All O_CLOEXEC: the child's
// dup2 onto 0/1/2 is the only copy that survives its execve.
int op_stdio(struct launch *l, struct op *op) {
  int in_pipe = !strcmp(op->args[0], "pipe"), out_pipes = !strcmp(op->args[1], "pipes");
  if ((!in_pipe && strcmp(op->args[0], "null")) || (!out_pipes && strcmp(op->args[1], "null"))) return EINVAL;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return errno;
  int in[2] = {null, -1}, o[2] = {-1, null}, e[2] = {-1, null};
  if ((in_pipe && pipe2(in, O_CLOEXEC) != 0) || (out_pipes && (pipe2(o, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0))) {
    int err = errno;
    close(null);
    return err;  // the launcher exits on this error: the other fds go with it
  }
  l->child_stdio[0] = in[0];
  l->child_stdio[1] = o[1];
  l->child_stdio[2] = e[1];
  l->stdin_w = in[1];
  l->log_in[0] = o[0];
  l->log_in[1] = e[0];
  return 0;
}

int op_open_cgroup(struct launch *l, struct op *op) {
  l->cgroup_fd = open(op->args[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return l->cgroup_fd < 0 ? errno : 0;
}

// The pidfd is kept until the clone: the child may still have to enter the container's cgroup namespace
// (join-cgroupns) after it is born in the container's cgroup — with cgroup2's nsdelegate (systemd mounts it
// so) the kernel refuses CLONE_INTO_CGROUP from inside a cgroup namespace whose root the caller's own cgroup
// lies outside of, so the plan leaves that namespace out of this join.
int op_join(struct launch *l, struct op *op) {
  uint64_t pid, flags;
  int e = parse_u64(op->args[0], 10, INT32_MAX, &pid);
  if (!e) e = parse_u64(op->args[1], 10, UINT32_MAX, &flags);
  if (e) return e;
  if (l->join_fd >= 0) return EBUSY;  // one join per plan
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) return errno;
  if (setns(pidfd, (int)flags) != 0) {
    e = errno;
    close(pidfd);
    return e;
  }
  l->join_fd = pidfd;
  return 0;
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
    child_main(l->plan, sp[1], ep[1], l->child_stdio, l->join_fd);
  }
  if (l->join_fd >= 0) { close(l->join_fd); l->join_fd = -1; }  // only the child needs it now
  if (cgfd >= 0) close(cgfd);
  if (l->cgroup_fd >= 0 && l->cgroup_fd == cgfd) l->cgroup_fd = -1;
  close(sp[1]);
  close(ep[1]);
  if (pid < 0) { close(sp[0]); close(ep[0]); return e; }
  // Only the child holds its ends of the stdio pipes: closing our copies lets us see EOF.
  // (/dev/null may stand in more than one slot: close each fd once.)
  int *cs = l->child_stdio;
  for (int i = 0; i < 3; i++) if (cs[i] >= 0 && (i == 0 || cs[i] != cs[0]) && (i < 2 || cs[i] != cs[1])) close(cs[i]);
  cs[0] = cs[1] = cs[2] = -1;
  l->child = (pid_t)pid;
  l->pidfd = pidfd;
  l->sync_fd = sp[0];
  l->err_fd = ep[0];
  return 0;
}
