// The one op table: name, role, arity and function of every step a plan may hold. Both dispatchers
// (the launcher's parent loop and the child's) look ops up here, so an unknown op, an op in the wrong
// role or a wrong argument count is one EINVAL reported as that step's error. `skiff-runtime ops`
// prints the table; test/unit/op-table.test.ts compares it with src/spawn/plan.ts.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "runtime.h"
#include "ops.h"

#define P(name, n, min, fn) {name, ROLE_PARENT, n, min, fn, NULL}
#define C(name, n, min, fn) {name, ROLE_CHILD, n, min, NULL, fn}

const struct op_def op_table[] = {
  // parent: the launcher, outside the container
  P("trace",         0, 0, op_trace),
  P("non-dumpable",  0, 0, op_non_dumpable),
  P("stdio",         2, 2, op_stdio),
  P("open-cgroup",   1, 1, op_open_cgroup),
  P("join",          2, 2, op_join),
  P("clone",         2, 2, op_clone),
  P("write-file",    2, 2, op_write_file),
  P("helper",        ARGS_ANY, 1, op_helper),
  P("report-pid",    0, 0, op_report_pid),
  P("wait-go",       0, 0, op_wait_go),
  P("release",       0, 0, op_release),
  P("recv-pty",      0, 0, op_recv_pty),
  P("wait-exec",     0, 0, op_wait_exec),
  P("detach",        0, 0, op_detach),
  P("supervise",     ARGS_ANY, 0, op_supervise),
  P("mkfifo",        2, 2, op_mkfifo),
  P("setns",         2, 2, op_setns),
  P("send-pty",      1, 1, op_send_pty),
  P("wait-ready",    0, 0, op_wait_ready),
  // child: the process that becomes the container (or enters it)
  C("wait-parent",   0, 0, op_wait_parent),
  C("mount-private", 0, 0, op_mount_private),
  C("overlay",       6, 6, op_overlay),
  C("mount",         5, 5, op_mount),
  C("bind",          4, 4, op_bind),
  C("mkdir",         2, 2, op_mkdir),
  C("symlink",       2, 2, op_symlink),
  C("pivot",         0, 0, op_pivot),
  C("mask",          1, 1, op_mask),
  C("readonly",      1, 1, op_readonly),
  C("hostname",      1, 1, op_hostname),
  C("domainname",    1, 1, op_domainname),
  C("setsid",        0, 0, op_setsid),
  C("pty",           0, 0, op_pty),
  C("chdir",         1, 1, op_chdir),
  C("user",          3, 3, op_user),
  C("no-new-privs",  0, 0, op_no_new_privs),
  C("close-fds",     0, 0, op_close_fds),
  C("join-cgroupns", 0, 0, op_join_cgroupns),
  C("env",           ARGS_ANY, 0, op_env),
  C("rlimit",        3, 3, op_rlimit),
  C("seccomp",       1, 1, op_seccomp),
  C("exec",          ARGS_ANY, 2, op_exec),
  C("pause",         0, 0, op_pause),
  C("bind-root",     1, 1, op_bind_root),
  C("fifo-open",     1, 1, op_fifo_open),
  C("fifo-wait",     0, 0, op_fifo_wait),
  C("mknod",         7, 7, op_mknod),
  C("write",         2, 2, op_write),
  C("umask",         1, 1, op_umask),
  C("cap-bound",     1, 1, op_cap_bound),
  C("cap-sets",      4, 4, op_cap_sets),
  C("remount",       2, 2, op_remount),
  C("open-root",     1, 1, op_open_root),
  C("chroot",        0, 0, op_chroot),
};
const unsigned op_table_len = sizeof op_table / sizeof op_table[0];

static const struct op_def *lookup(const struct op *op, enum op_role role) {
  for (unsigned i = 0; i < op_table_len; i++) {
    const struct op_def *d = &op_table[i];
    if (strcmp(d->name, op->name) != 0) continue;
    if (d->role != role) return NULL;
    if (d->nargs == ARGS_ANY ? op->nargs < d->min_args : op->nargs != d->nargs) return NULL;
    return d;
  }
  return NULL;
}

int op_dispatch_parent(struct launch *l, struct op *op) {
  const struct op_def *d = lookup(op, ROLE_PARENT);
  return d ? d->parent(l, op) : EINVAL;
}

int op_dispatch_child(struct child_ctx *c, struct op *op) {
  const struct op_def *d = lookup(op, ROLE_CHILD);
  return d ? d->child(c, op) : EINVAL;
}

// One line per op: "<name> <parent|child> <nargs|-1> <min>".
int cmd_ops(void) {
  for (unsigned i = 0; i < op_table_len; i++) {
    const struct op_def *d = &op_table[i];
    if (printf("%s %s %d %d\n", d->name, d->role == ROLE_PARENT ? "parent" : "child", d->nargs, d->min_args) < 0) return 1;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
