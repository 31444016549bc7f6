// Child ops for the process's surroundings: hostname, session and controlling terminal, working
// directory, and the descriptors it must not carry into the container.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include "ops.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int op_hostname(struct child_ctx *c, struct op *op) {
  (void)c;
  return sethostname(op->args[0], strlen(op->args[0])) ? last_errno() : 0;
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

int op_chdir(struct child_ctx *c, struct op *op) {
  (void)c;
  return chdir(op->args[0]) ? last_errno() : 0;
}

int op_close_fds(struct child_ctx *c, struct op *op) {
  (void)c; (void)op;
  return syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) ? last_errno() : 0;
}
