// The container side of a launch: steps run in the new namespaces, in plan order, through the op table,
// until execve. On the first failure the step index and errno go to the parent through the CLOEXEC
// error pipe, and this is the one place the child exits.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ops.h"

static void fail_step(int err_fd, int idx, int err) __attribute__((noreturn));
static void fail_step(int err_fd, int idx, int err) {
  char msg[64];
  int m = snprintf(msg, sizeof msg, "%d %d\n", idx, err);
  if (m > 0 && write(err_fd, msg, (size_t)m) < 0) {}  // the parent may be gone: nobody left to tell
  _exit(125);
}

int op_wait_parent(struct child_ctx *c, struct op *op) {
  (void)op;
  char b;
  ssize_t r;
  do r = read(c->sync_fd, &b, 1); while (r < 0 && errno == EINTR);
  return r == 1 ? 0 : ECANCELED;  // the parent aborted
}

int op_pause(struct child_ctx *c, struct op *op) {
  (void)c; (void)op;
  // The engine-namespace holder: closing every fd (the error pipe among them) tells the parent the
  // namespace is ready; then it only waits to be killed.
  if (syscall(SYS_close_range, 0U, ~0U, 0) != 0) return errno;
  for (;;) pause();
}

void child_main(struct plan *plan, int sync_fd, int err_fd, const int stdio[3], int join_fd) {
  struct child_ctx c = {.sync_fd = sync_fd, .err_fd = err_fd, .root_fd = -1, .env = NULL, .nenv = 0,
                        .trace = plan->trace, .fifo_fd = -1, .join_fd = join_fd};
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) != 0 || signal(SIGPIPE, SIG_DFL) == SIG_ERR) fail_step(err_fd, -1, errno);
  // First of all: the caller's stdin/stdout/stderr (the launcher's) are replaced by the supervisor's
  // pipes or /dev/null, so nothing of the caller's is ever visible in the container.
  if (stdio[0] >= 0)
    for (int i = 0; i < 3; i++) if (dup2(stdio[i], i) < 0) fail_step(err_fd, -1, errno);
  for (int i = 0; i < plan->nchild; i++) {
    struct op *op = &plan->child[i];
    uint64_t t0 = plan->trace ? now_usec() : 0;
    errno = 0;
    int e = op_dispatch_child(&c, op);
    if (e) fail_step(err_fd, op->idx, e);
    if (plan->trace) report("step child %d %llu", op->idx, (unsigned long long)(now_usec() - t0));
  }
  // A plan must end in exec or pause; falling off the end is a plan bug.
  fail_step(err_fd, plan->nchild ? plan->child[plan->nchild - 1].idx : -1, EINVAL);
}
