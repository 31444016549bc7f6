// skiff-runtime: executes launch plans built (and validated) by TypeScript. No policy lives here:
// every path, flag, id map and capability comes from the plan; this program only performs the steps
// in order, single-threaded, and reports which step failed with which errno.
#pragma once
#include <stdint.h>
#include <sys/types.h>

// File descriptors the TypeScript side hands over (see src/spawn/launch.ts).
enum { FD_PLAN = 3, FD_REPORT = 4, FD_CONTROL = 5 };

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
};

// What the parent knows about the child it cloned, shared by the parent ops.
struct launch {
  pid_t child;
  int pidfd;
  int sync_fd;      // parent end of the parent<->child socketpair (release byte, pty master)
  int err_fd;       // read end of the child's CLOEXEC error pipe: EOF without data = execve succeeded
  int pty_master;   // -1 unless the child sent one
  int cgroup_fd;    // from open-cgroup: opened before join, while the host's paths are still visible
  int stdio_out[2]; // write ends given to the child as stdout/stderr when the parent logs them (-1 otherwise)
  int log_in[2];    // the parent's read ends of those pipes
};

// What the child carries from step to step.
struct child_ctx {
  int sync_fd;
  int err_fd;
  int root_fd;      // O_PATH fd of the container rootfs (after the overlay mount), -1 before
  char **env;
  int nenv;
};

int plan_read(int fd, struct plan *plan);

void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_usec(void);

int parent_op(struct launch *l, struct plan *plan, struct op *op);   // 0 or errno
int child_op(struct child_ctx *c, struct op *op);                     // 0 or errno
void child_main(struct plan *plan, int sync_fd, int err_fd) __attribute__((noreturn));

int open_in_root(int root_fd, const char *path, int create_kind, int mode); // O_PATH fd or -errno
enum { CREATE_NONE = 0, CREATE_DIR = 1, CREATE_FILE = 2 };

int oci_parent_op(struct launch *l, struct op *op);  // oci_ops.c: -1 when the op is not one of its own
int oci_child_op(struct child_ctx *c, struct op *op);
int supervise(struct launch *l, struct op *op);   // returns the exit status to exit with
int cmd_launch(void);
int cmd_enter(int argc, char **argv);
int send_fd(int sock, int fd);
int recv_fd(int sock);
unsigned long parse_ulong(const char *s, int base, int *ok);
