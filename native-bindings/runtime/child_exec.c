// Child ops that end the plan: the environment, and execve with Docker's PATH lookup.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ops.h"

int op_env(struct child_ctx *c, struct op *op) {
  c->env = op->args;
  c->nenv = op->nargs;
  return 0;
}

// Docker's lookup: a name without '/' is searched in the container's PATH, and only regular,
// executable files count; no /bin/sh fallback for scripts without #! (that is "exec format error").
// args: PATH, then argv.
int op_exec(struct child_ctx *c, struct op *op) {
  int n = op->nargs;
  char **envp = calloc((size_t)c->nenv + 1, sizeof *envp);
  // argv must be NULL-terminated: the plan's strings are followed by the next op's, so copy.
  char **av = calloc((size_t)n, sizeof *av);
  char *path = strdup(op->args[0]);
  if (!envp || !av || !path) { free(envp); free(av); free(path); return ENOMEM; }
  for (int i = 0; i < c->nenv; i++) envp[i] = c->env[i];
  for (int i = 0; i < n - 1; i++) av[i] = op->args[i + 1];
  int err = ENOENT;
  if (strchr(av[0], '/')) {
    execve(av[0], av, envp);
    err = last_errno();
  } else {
    char cand[4096];
    char *save = NULL;
    for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
      int m = snprintf(cand, sizeof cand, "%s/%s", *dir ? dir : ".", av[0]);
      if (m < 0 || m >= (int)sizeof cand) continue;  // longer than PATH_MAX: no such file there
      struct stat st;
      if (stat(cand, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (access(cand, X_OK) != 0) { err = EACCES; continue; }
      execve(cand, av, envp);
      err = last_errno();
      break;
    }
  }
  free(envp); free(av); free(path);
  return err;
}
