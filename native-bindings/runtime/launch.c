// The parent side of a launch: clone the child into its namespaces (and cgroup), write its id maps,
// hand its pid to TypeScript, wait for "go" (network set up), release it, learn whether execve worked,
// then supervise it. Each step is one op of the plan; failures are reported as "error parent <idx> <errno>".
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runtime.h"

static struct plan the_plan;

// "{pid}" in a helper argument or a /proc path stands for the child's pid.
static char *with_pid(const char *s, pid_t pid) {
  const char *at = strstr(s, "{pid}");
  size_t n = strlen(s) + 16;
  char *out = malloc(n);
  if (!out) return NULL;
  if (!at) { snprintf(out, n, "%s", s); return out; }
  snprintf(out, n, "%.*s%d%s", (int)(at - s), s, (int)pid, at + 5);
  return out;
}

static int op_clone(struct launch *l, char **a) {
  int ok;
  unsigned long long flags = strtoull(a[0], NULL, 10);
  (void)ok;
  int sp[2], ep[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return errno;
  if (pipe2(ep, O_CLOEXEC) != 0) return errno;
  int cgfd = l->cgroup_fd;
  if (a[1][0]) {
    cgfd = open(a[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) return errno;
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
  if (pid < 0) return errno;
  if (pid == 0) {
    close(sp[0]);
    close(ep[0]);
    if (l->stdio_out[0] >= 0) {
      int null = open("/dev/null", O_RDONLY);
      if (null < 0 || dup2(null, 0) < 0 || dup2(l->stdio_out[0], 1) < 0 || dup2(l->stdio_out[1], 2) < 0) _exit(125);
    }
    child_main(&the_plan, sp[1], ep[1]);
  }
  if (cgfd >= 0) close(cgfd);
  // Only the child writes its stdout/stderr pipes: closing our copies lets us see EOF.
  if (l->stdio_out[0] >= 0) { close(l->stdio_out[0]); close(l->stdio_out[1]); }
  close(sp[1]);
  close(ep[1]);
  l->child = (pid_t)pid;
  l->pidfd = pidfd;
  l->sync_fd = sp[0];
  l->err_fd = ep[0];
  return 0;
}

static int op_write_file(struct launch *l, char **a) {
  char *path = with_pid(a[0], l->child);
  if (!path) return ENOMEM;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  free(path);
  if (fd < 0) return errno;
  size_t n = strlen(a[1]);
  ssize_t w = write(fd, a[1], n);
  int e = errno;
  close(fd);
  return w == (ssize_t)n ? 0 : (w < 0 ? e : EIO);
}

// newuidmap/newgidmap: the setuid helpers that let an ordinary user map its subordinate ranges.
static int op_helper(struct launch *l, struct op *op) {
  char **argv = calloc((size_t)op->nargs + 1, sizeof *argv);
  if (!argv) return ENOMEM;
  for (int i = 0; i < op->nargs; i++) if (!(argv[i] = with_pid(op->args[i], l->child))) return ENOMEM;
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(2, 1);
    execvp(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return errno;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
  report("helper-failed %d %d", op->idx, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  return ECANCELED;
}

static int op_wait_go(struct launch *l) {
  char buf[16];
  size_t n = 0;
  while (n < sizeof buf - 1) {
    ssize_t r = read(FD_CONTROL, buf + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (buf[n++] == '\n') break;
  }
  buf[n] = '\0';
  if (strcmp(buf, "go\n") == 0) return 0;
  kill(l->child, SIGKILL);
  waitpid(l->child, NULL, 0);
  return ECANCELED;
}

static int op_release(struct launch *l) {
  char b = 'G';
  return write(l->sync_fd, &b, 1) == 1 ? 0 : errno;
}

// The error pipe is CLOEXEC in the child: EOF with no data means execve succeeded.
static int op_wait_exec(struct launch *l) {
  char buf[64];
  size_t n = 0;
  for (;;) {
    ssize_t r = read(l->err_fd, buf + n, sizeof buf - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n >= sizeof buf - 1) break;
  }
  close(l->err_fd);
  l->err_fd = -1;
  if (n == 0) { report("exec-ok"); return 0; }
  buf[n] = '\0';
  int idx = -1, err = EIO;
  if (sscanf(buf, "%d %d", &idx, &err) != 2) { idx = -1; err = EIO; }
  waitpid(l->child, NULL, 0);
  report("error child %d %d", idx, err);
  exit(125);
}

static int op_join(char **a) {
  int ok;
  unsigned long pid = parse_ulong(a[0], 10, &ok);
  if (!ok) return EINVAL;
  unsigned long flags = parse_ulong(a[1], 10, &ok);
  if (!ok) return EINVAL;
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) return errno;
  int r = setns(pidfd, (int)flags);
  int e = errno;
  close(pidfd);
  return r ? e : 0;
}

int parent_op(struct launch *l, struct plan *plan, struct op *op) {
  const char *n = op->name;
  (void)plan;
  if (!strcmp(n, "trace")) return 0;
  if (!strcmp(n, "stdio-pipes")) {
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) return errno;
    l->stdio_out[0] = o[1];
    l->stdio_out[1] = e[1];
    l->log_in[0] = o[0];
    l->log_in[1] = e[0];
    return 0;
  }
  if (!strcmp(n, "join") && op->nargs == 2) return op_join(op->args);
  if (!strcmp(n, "open-cgroup") && op->nargs == 1) {
    l->cgroup_fd = open(op->args[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return l->cgroup_fd < 0 ? errno : 0;
  }
  if (!strcmp(n, "clone") && op->nargs == 2) return op_clone(l, op->args);
  if (!strcmp(n, "write-file") && op->nargs == 2) return op_write_file(l, op->args);
  if (!strcmp(n, "helper") && op->nargs >= 1) return op_helper(l, op);
  if (!strcmp(n, "report-pid")) { report("pid %d", (int)l->child); return 0; }
  if (!strcmp(n, "wait-go")) return op_wait_go(l);
  if (!strcmp(n, "release")) return op_release(l);
  if (!strcmp(n, "recv-pty")) {
    l->pty_master = recv_fd(l->sync_fd);
    return 0;  // a child that died before sending is reported by wait-exec
  }
  if (!strcmp(n, "wait-exec")) return op_wait_exec(l);
  if (!strcmp(n, "detach")) exit(0);
  int r = oci_parent_op(l, op);
  return r >= 0 ? r : ENOSYS;
}

int cmd_launch(void) {
  // Signals are blocked from the start so none is lost before supervise reads them from a signalfd;
  // the child restores an empty mask and default dispositions before anything else.
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD, SIGCONT, SIGTSTP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (plan_read(FD_PLAN, &the_plan) != 0) {
    report("error parent -1 %d", errno);
    return 125;
  }
  close(FD_PLAN);
  struct launch l = {.child = -1, .pidfd = -1, .sync_fd = -1, .err_fd = -1, .pty_master = -1, .cgroup_fd = -1,
                     .stdio_out = {-1, -1}, .log_in = {-1, -1}};
  for (int i = 0; i < the_plan.nparent; i++) {
    struct op *op = &the_plan.parent[i];
    if (!strcmp(op->name, "supervise")) return supervise(&l, op);
    uint64_t t0 = the_plan.trace ? now_usec() : 0;
    int e = parent_op(&l, &the_plan, op);
    if (e) {
      report("error parent %d %d", op->idx, e);
      if (l.child > 0) { kill(l.child, SIGKILL); waitpid(l.child, NULL, 0); }
      return 125;
    }
    if (the_plan.trace) report("step parent %d %llu", op->idx, (unsigned long long)(now_usec() - t0));
  }
  return 0;
}
