// Every op function of the launcher, one per plan step; the table in op_table.c binds them to names.
// Parent ops live in parent_*.c, child ops in child_*.c, grouped by concern.
#pragma once
#include "runtime.h"

// parent_setup.c: before and around the clone
parent_fn op_trace, op_non_dumpable, op_stdio, op_open_cgroup, op_join, op_clone;
// parent_ids.c: the child's id maps
parent_fn op_write_file, op_helper;
// parent_sync.c: the handshake with the child and the engine
parent_fn op_report_pid, op_wait_go, op_release, op_recv_pty, op_wait_exec, op_detach, op_supervise;
// parent_sync.c: a child that failed before execve, as its error pipe tells (for ops that wait on it)
int child_failure_from_pipe(struct launch *l);

// oci_ops.c: what skiff-oci's config.json translation needs beyond `skiff run`
parent_fn op_mkfifo, op_setns, op_send_pty, op_wait_ready;
child_fn op_bind_root, op_fifo_open, op_fifo_wait, op_mknod, op_write, op_umask, op_cap_bound, op_cap_sets, op_remount,
  op_open_root, op_chroot;
// child_main.c
child_fn op_wait_parent, op_pause;
// child_mounts.c: the container's filesystem
child_fn op_mount_private, op_overlay, op_mount, op_bind, op_mkdir, op_symlink, op_pivot, op_mask, op_readonly;
// child_session.c: hostname, domain name, session, terminal, working directory, descriptors
child_fn op_hostname, op_domainname, op_setsid, op_pty, op_chdir, op_close_fds, op_join_cgroupns;
// child_identity.c: who the process is and what it may do
child_fn op_user, op_no_new_privs;
// child_exec.c
child_fn op_env, op_exec;
// child_limits.c: resource limits
child_fn op_rlimit;
// seccomp.c: the seccomp filter, compiled by libseccomp
child_fn op_seccomp;

#include <errno.h>
// errno after a failed call, EIO if the call failed without setting it (never 0: 0 means success).
static inline int last_errno(void) { return errno ? errno : EIO; }
