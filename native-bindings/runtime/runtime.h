// skiff-runtime: executes launch plans built (and validated) by TypeScript. No policy lives here:
// every path, flag, id map and capability comes from the plan; this program only performs the steps
// in order, single-threaded, and reports which step failed with which errno.
#pragma once
#include <stdint.h>
#include <sys/types.h>

// File descriptors the TypeScript side hands over (see src/spawn/launch.ts).
enum { FD_PLAN = 3, FD_REPORT = 4, FD_CONTROL = 5 };
// The largest plan the launcher reads (src/spawn/launch.ts refuses bigger ones with a clear error).
#define PLAN_MAX_BYTES (16u << 20)

struct op {
  const char *name;
  int idx;      // position in the whole plan: TypeScript maps it back to the step and its "why"
  int nargs;
  char **args;
};

struct plan {
  struct op *parent;
  int nparent;
  struct op *child;
  int nchild;
  int trace;    // report every step's duration (for --trace)
  char *text;   // the plan's bytes and its string table: every op's name and args point into them
  char **strs;
};

// What the parent knows about the child it cloned, shared by the parent ops.
struct launch {
  struct plan *plan;
  pid_t child;
  int pidfd;
  int sync_fd;      // parent end of the parent<->child socketpair (release byte, pty master)
  int err_fd;       // read end of the child's CLOEXEC error pipe: EOF without data = execve succeeded
  int pty_master;   // -1 unless the child sent one
  int cgroup_fd;    // from open-cgroup: opened before join, while the host's paths are still visible
  int join_fd;      // from join: the pidfd of the process joined, kept for the child's join-cgroupns (-1: none)
  int child_stdio[3]; // from the stdio op: what the child gets as fds 0/1/2 (-1: the plan has no stdio op)
  int stdin_w;      // the parent's write end of the child's stdin pipe (-1: its stdin is /dev/null)
  int log_in[2];    // the parent's read ends of the child's stdout/stderr pipes (-1: a pty or /dev/null)
  int status;       // what the launcher exits with once an op returns OP_STOP
};

// What the child carries from step to step.
struct child_ctx {
  int sync_fd;
  int err_fd;
  int root_fd;      // O_PATH fd of the container rootfs (after the overlay mount), -1 before
  char **env;
  int nenv;
  int trace;        // keep the report pipe (CLOEXEC) for step timings until execve
  int fifo_fd;      // OCI create: O_PATH fd of the exec fifo (fifo-open .. fifo-wait), -1 otherwise; close-fds keeps it
  int join_fd;      // exec: the launcher's pidfd of the container (join .. join-cgroupns), -1 otherwise; close-fds keeps it
};

int plan_read(int fd, struct plan *plan);

// The one op table (op_table.c): every step of a plan is dispatched through it, and `skiff-runtime ops`
// prints it so a test can compare it with TypeScript's ARITY (src/spawn/plan.ts). Adding an op is one
// line in the table, its function, and one line in plan.ts.
enum op_role { ROLE_PARENT, ROLE_CHILD };
enum { ARGS_ANY = -1 };
// An op returns 0, an errno, or OP_STOP: "the plan ends here, exit with launch->status" (only main exits).
enum { OP_STOP = -1 };
typedef int parent_fn(struct launch *l, struct op *op);
typedef int child_fn(struct child_ctx *c, struct op *op);
struct op_def {
  const char *name;
  enum op_role role;
  int nargs;        // exact count, or ARGS_ANY with at least min_args
  int min_args;
  parent_fn *parent;
  child_fn *child;
};
extern const struct op_def op_table[];
extern const unsigned op_table_len;
int op_dispatch_parent(struct launch *l, struct op *op);  // 0, errno (EINVAL: unknown op, wrong role or arity) or OP_STOP
int op_dispatch_child(struct child_ctx *c, struct op *op);
int cmd_ops(void);

// The one number parser: decimal (or octal with base 8) digits only, no sign, no spaces, no junk, <= max.
// Returns 0 or EINVAL/ERANGE.
int parse_u64(const char *s, int base, uint64_t max, uint64_t *out);

void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_usec(void);

// The cloned child: stdio are the fds it takes as 0/1/2 before anything else (stdio[0] = -1: keep the
// inherited ones; only the engine-namespace holder, which closes them all, has no stdio op).
void child_main(struct plan *plan, int sync_fd, int err_fd, const int stdio[3], int join_fd) __attribute__((noreturn));

int open_in_root(int root_fd, const char *path, int create_kind, int mode); // O_PATH fd or -errno
int open_in_own_root(const char *path);  // O_PATH fd of path beneath the process's "/", or -errno
enum { CREATE_NONE = 0, CREATE_DIR = 1, CREATE_FILE = 2 };

int supervise(struct launch *l, struct op *op);   // returns the exit status to exit with
int cmd_launch(void);
int run_from_sealed_copy(char **argv);  // returns only if already the copy (0) or on failure (errno)
int cmd_enter(int argc, char **argv);
int cmd_seccomp_bpf(void);
int send_fd(int sock, int fd);
int recv_fd(int sock);
