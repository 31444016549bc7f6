// Parent ops of the handshake: tell the engine the child's pid, wait for its "go" (network wired),
// release the child, take its pty master, learn whether execve worked, then detach or supervise.
// None of them exits: OP_STOP with launch->status tells cmd_launch how the launcher ends.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ops.h"

int op_report_pid(struct launch *l, struct op *op) {
  (void)op;
  report("pid %d", (int)l->child);
  return 0;
}

int op_wait_go(struct launch *l, struct op *op) {
  (void)l; (void)op;
  char buf[16];
  size_t n = 0;
  while (n < sizeof buf - 1) {
    ssize_t r = read(FD_CONTROL, buf + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (buf[n++] == '\n') break;
  }
  buf[n] = '\0';
  return strcmp(buf, "go\n") == 0 ? 0 : ECANCELED;  // cmd_launch kills the child
}

int op_release(struct launch *l, struct op *op) {
  (void)op;
  char b = 'G';
  ssize_t w;
  do w = write(l->sync_fd, &b, 1); while (w < 0 && errno == EINTR);
  // A child that failed while the engine wired its network (the second release) is gone: its own
  // error is on the error pipe, and wait-exec reports that, not this write's EPIPE.
  if (w < 0 && errno == EPIPE) return 0;
  return w == 1 ? 0 : (w < 0 ? errno : EIO);
}

int op_recv_pty(struct launch *l, struct op *op) {
  (void)op;
  l->pty_master = recv_fd(l->sync_fd);
  return 0;  // a child that died before sending is reported by wait-exec
}

// Everything the child wrote on its error pipe (CLOEXEC there: EOF with no data means execve succeeded),
// up to EOF. Returns the number of bytes read into buf (NUL-terminated).
static size_t read_err_pipe(struct launch *l, char *buf, size_t size) {
  size_t n = 0;
  for (;;) {
    ssize_t r = read(l->err_fd, buf + n, size - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n >= size - 1) break;
  }
  buf[n] = '\0';
  return n;
}

// The child failed before execve: report the step and errno it wrote, reap it, stop the plan.
static int child_failed(struct launch *l, const char *buf) {
  int idx = -1, err = EIO;
  if (sscanf(buf, "%d %d", &idx, &err) != 2) { idx = -1; err = EIO; }
  while (waitpid(l->child, NULL, 0) < 0 && errno == EINTR) {}
  l->child = -1;
  report("error child %d %d", idx, err);
  l->status = 125;
  return OP_STOP;
}

int op_wait_exec(struct launch *l, struct op *op) {
  (void)op;
  char buf[64];
  size_t n = read_err_pipe(l, buf, sizeof buf);
  close(l->err_fd);
  l->err_fd = -1;
  if (n == 0) { report("exec-ok"); return 0; }
  return child_failed(l, buf);
}

// For ops in other files that wait on the child (oci_ops.c's wait-ready).
int child_failure_from_pipe(struct launch *l) {
  char buf[64];
  read_err_pipe(l, buf, sizeof buf);
  return child_failed(l, buf);
}

int op_detach(struct launch *l, struct op *op) {
  (void)op;
  l->status = 0;
  return OP_STOP;
}

int op_supervise(struct launch *l, struct op *op) {
  l->status = supervise(l, op);
  return OP_STOP;
}
