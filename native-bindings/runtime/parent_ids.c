// Parent ops that give the child its identity: writing /proc/<pid>/{uid,gid}_map and setgroups, or
// running newuidmap/newgidmap (the setuid helpers that let an ordinary user map its subordinate ranges).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ops.h"

// "{pid}" in a helper argument or a /proc path stands for the child's pid.
static char *with_pid(const char *s, pid_t pid) {
  const char *at = strstr(s, "{pid}");
  size_t n = strlen(s) + 16;
  char *out = malloc(n);
  if (!out) return NULL;
  if (!at) { memcpy(out, s, strlen(s) + 1); return out; }
  snprintf(out, n, "%.*s%d%s", (int)(at - s), s, (int)pid, at + 5);
  return out;
}

int op_write_file(struct launch *l, struct op *op) {
  char *path = with_pid(op->args[0], l->child);
  if (!path) return ENOMEM;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  free(path);
  if (fd < 0) return errno;
  size_t n = strlen(op->args[1]);
  ssize_t w = write(fd, op->args[1], n);
  int e = errno;
  if (close(fd) != 0 && w == (ssize_t)n) return errno;
  return w == (ssize_t)n ? 0 : (w < 0 ? e : EIO);
}

int op_helper(struct launch *l, struct op *op) {
  char **argv = calloc((size_t)op->nargs + 1, sizeof *argv);
  if (!argv) return ENOMEM;
  int e = 0;
  for (int i = 0; i < op->nargs && !e; i++) if (!(argv[i] = with_pid(op->args[i], l->child))) e = ENOMEM;
  pid_t pid = e ? -1 : fork();
  if (!e && pid < 0) e = errno;
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0) _exit(126);
    execvp(argv[0], argv);
    _exit(127);
  }
  for (char **p = argv; *p; p++) free(*p);
  free(argv);
  if (e) return e;
  int st;
  while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return errno;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
  report("helper-failed %d %d", op->idx, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  return ECANCELED;
}
