// Child ops for the process's surroundings: hostname, domain name, session and controlling terminal, working
// directory, and the descriptors it must not carry into the container.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include "ops.h"

int op_hostname(struct child_ctx *c, struct op *op) {
  (void)c;
  return sethostname(op->args[0], strlen(op->args[0])) ? last_errno() : 0;
}

// setdomainname(2), not a write to /proc/sys/kernel/domainname: in a rootless container the sysctl file
// belongs to the initial namespace's root, while the call only needs CAP_SYS_ADMIN over the UTS namespace.
int op_domainname(struct child_ctx *c, struct op *op) {
  (void)c;
  return setdomainname(op->args[0], strlen(op->args[0])) ? last_errno() : 0;
}

int op_setsid(struct child_ctx *c, struct op *op) {
  (void)c; (void)op;
  return setsid() < 0 ? last_errno() : 0;
}

int op_pty(struct child_ctx *c, struct op *op) {
  (void)op;
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return last_errno();
  int unlock = 0, n, e = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0 || ioctl(master, TIOCGPTN, &n) != 0) e = last_errno();
  char name[64];
  int slave = -1;
  if (!e) {
    snprintf(name, sizeof name, "/dev/pts/%d", n);
    slave = open(name, O_RDWR | O_NOCTTY);
    if (slave < 0) e = last_errno();
  }
  if (!e && send_fd(c->sync_fd, master) != 0) e = last_errno();
  close(master);
  if (!e && setsid() < 0) e = last_errno();
  if (!e && ioctl(slave, TIOCSCTTY, 0) != 0) e = last_errno();
  for (int i = 0; i <= 2 && !e; i++) if (dup2(slave, i) < 0) e = last_errno();
  if (slave > 2) close(slave);
  return e;
}

// The working directory (-w, the image's WORKDIR) is resolved beneath the container's root with
// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS and entered with fchdir: neither a symlink in the image nor
// /proc/self/fd/N can put it on the host. getcwd then proves it is reachable from the root.
// A seccomp profile loaded before this step (an OCI config without noNewPrivileges loads it early, as
// runc does) may not allow openat2 (runtime-tools' and Docker's older profiles do not: EPERM or
// ENOSYS). Then plain chdir: after pivot_root and close-fds no host descriptor is left to reach the host
// through /proc/self/fd, and the getcwd check below still refuses a directory outside the root.
int op_chdir(struct child_ctx *c, struct op *op) {
  (void)c;
  int fd = open_in_own_root(op->args[0]);
  int e;
  if (fd == -EPERM || fd == -ENOSYS) {
    e = chdir(op->args[0]) ? last_errno() : 0;
  } else {
    if (fd < 0) return -fd;
    e = fchdir(fd) ? last_errno() : 0;
    close(fd);
  }
  if (e) return e;
  char cwd[4096];
  // getcwd refused by that same profile (EPERM/ENOSYS) proves nothing either way: the chdir stands.
  if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/') return errno == ERANGE || errno == EPERM || errno == ENOSYS ? 0 : EXDEV;
  return 0;
}

static int keep_cloexec(int fd) {
  int f = fcntl(fd, F_GETFD);
  if (f < 0 || fcntl(fd, F_SETFD, f | FD_CLOEXEC) != 0) return last_errno();
  return 0;
}

// Close (not only mark close-on-exec) every descriptor above stdio except the launcher's own channels
// to its parent: the sync socket, the error pipe (closed by execve: EOF = success) and, when tracing,
// the report pipe; and, for exec, the container's own pidfd until join-cgroupns, the very next step.
// Whatever the engine or the launcher held — a cgroup directory, log pipes, the plan —
// is gone before anything in the container could reach it.
int op_close_fds(struct child_ctx *c, struct op *op) {
  (void)op;
  int keep[5], n = 0;
  if (c->sync_fd > 2) keep[n++] = c->sync_fd;
  if (c->err_fd > 2) keep[n++] = c->err_fd;
  if (c->trace) keep[n++] = FD_REPORT;
  if (c->fifo_fd > 2) keep[n++] = c->fifo_fd;
  if (c->join_fd > 2) keep[n++] = c->join_fd;
  // ascending, without duplicates
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (keep[j] < keep[i]) { int t = keep[i]; keep[i] = keep[j]; keep[j] = t; }
  unsigned from = 3;
  for (int i = 0; i < n; i++) {
    int e = keep_cloexec(keep[i]);
    if (e) return e;
    if ((unsigned)keep[i] > from && syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0) != 0) return last_errno();
    if ((unsigned)keep[i] + 1 > from) from = (unsigned)keep[i] + 1;
  }
  return syscall(SYS_close_range, from, ~0U, 0) ? last_errno() : 0;
}

// exec into a container with a cgroup: born in the container's cgroup (CLONE_INTO_CGROUP), the process now
// enters its cgroup namespace, which the launcher's join left out (see op_join), and drops the pidfd.
int op_join_cgroupns(struct child_ctx *c, struct op *op) {
  (void)op;
  if (c->join_fd < 0) return EBADF;
  int r = setns(c->join_fd, CLONE_NEWCGROUP);
  int e = errno;
  close(c->join_fd);
  c->join_fd = -1;
  return r ? e : 0;
}
