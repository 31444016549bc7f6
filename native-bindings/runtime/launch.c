// `skiff-runtime launch`: read the plan from fd 3, run its parent steps in order through the op table
// (the first step that clones runs the child's steps in the new process), report each failure as
// "error parent <idx> <errno>" and exit with the status the last op chose. Only this function exits.
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runtime.h"

static struct plan the_plan;

// The engine starts this program with glibc's posix_spawn, whose child sets glibc's two internal
// signals (32 and 33) to SIG_IGN, and ignored signals survive execve: left so, every container process
// would start with them ignored. glibc's own sigaction refuses these numbers, hence the raw syscall
// (the kernel's struct: handler, flags, restorer, mask).
static void default_internal_signals(void) {
  struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); uint64_t mask; } dfl = {SIG_DFL, 0, NULL, 0};
  for (int sig = 32; sig <= 33; sig++) syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
}

static void kill_child(struct launch *l) {
  if (l->child <= 0) return;
  // Through the pidfd: the pid may be reaped and reused by the time we get here.
  if (l->pidfd >= 0) syscall(SYS_pidfd_send_signal, l->pidfd, SIGKILL, NULL, 0);
  while (waitpid(l->child, NULL, 0) < 0 && errno == EINTR) {}
  l->child = -1;
}

int cmd_launch(void) {
  default_internal_signals();
  // Signals are blocked from the start so none is lost before supervise reads them from a signalfd;
  // the child restores an empty mask and default dispositions before anything else.
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD, SIGCONT, SIGTSTP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
    report("error parent -1 %d", errno);
    return 125;
  }
  if (plan_read(FD_PLAN, &the_plan) != 0) {
    report("error parent -1 %d", errno);
    return 125;
  }
  close(FD_PLAN);
  struct launch l = {.plan = &the_plan, .child = -1, .pidfd = -1, .sync_fd = -1, .err_fd = -1, .pty_master = -1,
                     .cgroup_fd = -1, .join_fd = -1, .child_stdio = {-1, -1, -1}, .stdin_w = -1, .log_in = {-1, -1}, .status = 0};
  for (int i = 0; i < the_plan.nparent; i++) {
    struct op *op = &the_plan.parent[i];
    uint64_t t0 = the_plan.trace ? now_usec() : 0;
    int e = op_dispatch_parent(&l, op);
    if (e == OP_STOP) return l.status;
    if (e) {
      report("error parent %d %d", op->idx, e);
      kill_child(&l);
      return 125;
    }
    if (the_plan.trace) report("step parent %d %llu", op->idx, (unsigned long long)(now_usec() - t0));
  }
  return 0;
}
