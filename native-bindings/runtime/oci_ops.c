// Ops the OCI front door (skiff-oci) needs beyond `skiff run`'s: joining namespaces by path, the
// exec fifo that holds a created container until `start`, handing the pty master to a console
// socket, and the parts of config.json's process that Docker's defaults never vary (umask,
// the five capability sets, device nodes, sysctl writes). Each op does exactly what its arguments say.
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ops.h"


static int fail(void) { return last_errno(); }

static int num(const char *s, int base, uint64_t max, uint64_t *out) { return parse_u64(s, base, max, out); }

static int parse_caps(const char *list, uint64_t *out) {
  char buf[512];
  *out = 0;
  if (strlen(list) >= sizeof buf) return E2BIG;
  strcpy(buf, list);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    uint64_t n;
    if (num(t, 10, 63, &n)) return EINVAL;
    *out |= 1ULL << n;
  }
  return 0;
}

// ---- parent ops ----

int op_setns(struct launch *l, struct op *op) {
  (void)l;
  char **a = op->args;
  uint64_t type;
  if (num(a[1], 10, UINT32_MAX, &type)) return EINVAL;
  int fd = open(a[0], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int r = setns(fd, (int)type);
  int e = errno;
  close(fd);
  return r ? e : 0;
}

int op_send_pty(struct launch *l, struct op *op) {
  const char *path = op->args[0];
  if (l->pty_master < 0) return EBADF;
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) return ENAMETOOLONG;
  strcpy(a.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  if (connect(s, (struct sockaddr *)&a, sizeof a) != 0 || send_fd(s, l->pty_master) != 0) { int e = errno; close(s); return e; }
  close(s);
  close(l->pty_master);
  l->pty_master = -1;
  return 0;
}

// The child writes 'R' on the sync socket once it is set up and about to block on the fifo; EOF
// instead means it failed, and the error pipe says at which step.
int op_wait_ready(struct launch *l, struct op *op) {
  (void)op;
  char b = 0;
  ssize_t r;
  do r = read(l->sync_fd, &b, 1); while (r < 0 && errno == EINTR);
  if (r == 1 && b == 'R') { report("ready"); return 0; }
  return child_failure_from_pipe(l);
}

// The fifo is made by the launcher on the host side, before any namespace: the container's root may
// be an unmapped uid that could not create it in the state directory.
int op_mkfifo(struct launch *l, struct op *op) {
  (void)l;
  char **a = op->args;
  uint64_t mode;
  if (num(a[1], 8, 07777, &mode)) return EINVAL;
  if (mkfifo(a[0], (mode_t)mode) != 0) return errno;
  return chmod(a[0], (mode_t)mode) ? errno : 0;  // exact mode, whatever the umask
}


// ---- child ops ----

// Opened before pivot_root, while the fifo's host path is still visible; kept in the child's context so
// close-fds leaves it open until fifo-wait.
int op_fifo_open(struct child_ctx *c, struct op *op) {
  c->fifo_fd = open(op->args[0], O_PATH | O_CLOEXEC);
  return c->fifo_fd < 0 ? fail() : 0;
}

int op_fifo_wait(struct child_ctx *c, struct op *op) {
  (void)op;
  if (c->fifo_fd < 0) return EBADF;
  char b = 'R';
  if (write(c->sync_fd, &b, 1) != 1) return fail();
  // The launcher's channels mean nothing to the container, and holding them would keep its
  // caller waiting for EOF until `start`.
  close(FD_REPORT);
  close(FD_CONTROL);
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", c->fifo_fd);
  int fd = open(p, O_WRONLY | O_CLOEXEC);  // blocks until `start` opens the fifo for reading
  if (fd < 0) return fail();
  char z = '0';
  if (write(fd, &z, 1) != 1) return fail();
  close(fd);
  close(c->fifo_fd);
  c->fifo_fd = -1;
  return 0;
}

int op_mknod(struct child_ctx *c, struct op *op) {
  char **a = op->args;
  uint64_t major, minor, mode, uid, gid;
  if (num(a[2], 10, UINT32_MAX, &major) || num(a[3], 10, UINT32_MAX, &minor) || num(a[4], 8, 07777, &mode) ||
      num(a[5], 10, UINT32_MAX, &uid) || num(a[6], 10, UINT32_MAX, &gid)) return EINVAL;
  mode_t kind;
  switch (a[1][0]) {
    case 'c': case 'u': kind = S_IFCHR; break;
    case 'b': kind = S_IFBLK; break;
    case 'p': kind = S_IFIFO; break;
    default: return EINVAL;
  }
  char dir[4096];
  if (strlen(a[0]) >= sizeof dir) return ENAMETOOLONG;
  strcpy(dir, a[0]);
  char *slash = strrchr(dir, '/');
  if (!slash || !slash[1]) return EINVAL;
  const char *leaf = a[0] + (slash - dir) + 1;
  *slash = '\0';
  int pfd = open_in_root(c->root_fd, dir[0] ? dir : "/", CREATE_DIR, 0755);
  if (pfd < 0) return -pfd;
  int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close(pfd);
  if (dfd < 0) return fail();
  dev_t dev = makedev(major, minor);
  int r = mknodat(dfd, leaf, kind | (mode_t)(mode & 07777), dev);
  if (r != 0 && errno == EEXIST) {
    unlinkat(dfd, leaf, 0);
    r = mknodat(dfd, leaf, kind | (mode_t)(mode & 07777), dev);
  }
  // mknod obeys the umask; the config's mode is exact.
  if (r == 0) r = fchmodat(dfd, leaf, (mode_t)(mode & 07777), 0);
  if (r == 0) r = fchownat(dfd, leaf, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
  int e = errno;
  close(dfd);
  return r ? e : 0;
}

int op_write(struct child_ctx *c, struct op *op) {
  (void)c;
  char **a = op->args;
  int fd = open(a[0], O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return fail();
  size_t n = strlen(a[1]);
  ssize_t w = write(fd, a[1], n);
  int e = errno;
  close(fd);
  return w == (ssize_t)n ? 0 : (w < 0 ? e : EIO);
}

// The bounding set first (while still privileged), and keep permitted across the uid change that
// follows, so cap-sets can then grant exactly what config.json lists to a non-root user.
int op_cap_bound(struct child_ctx *c, struct op *op) {
  (void)c;
  uint64_t keep;
  if (parse_caps(op->args[0], &keep)) return EINVAL;
  int last = 40;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) { if (fscanf(f, "%d", &last) != 1) last = 40; fclose(f); }
  for (int cap = 0; cap <= last; cap++)
    if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return fail();
  return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ? fail() : 0;
}

int op_cap_sets(struct child_ctx *c, struct op *op) {
  (void)c;
  char **a = op->args;
  uint64_t e, p, i, amb;
  if (parse_caps(a[0], &e) || parse_caps(a[1], &p) || parse_caps(a[2], &i) || parse_caps(a[3], &amb)) return EINVAL;
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  d[0].effective = (uint32_t)e; d[1].effective = (uint32_t)(e >> 32);
  d[0].permitted = (uint32_t)p; d[1].permitted = (uint32_t)(p >> 32);
  d[0].inheritable = (uint32_t)i; d[1].inheritable = (uint32_t)(i >> 32);
  if (syscall(SYS_capset, &hdr, d) != 0) return fail();
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return fail();
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return fail();
  // An ambient capability must also be permitted and inheritable; runc skips the ones that are not,
  // and so do we (runc spec's default lists ambient capabilities without inheritable ones).
  for (int cap = 0; cap < 64; cap++)
    if ((amb & (1ULL << cap)) && (p & i & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return fail();
  return 0;
}

// Remount a bind with extra flags, keeping those the kernel locked on it (nosuid, nodev …) in a user namespace.
int op_remount(struct child_ctx *c, struct op *op) {
  (void)c;
  char **a = op->args;
  uint64_t extra;
  if (num(a[1], 10, UINT32_MAX, &extra)) return EINVAL;
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(a[0], &sv) == 0) {
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  }
  return mount(NULL, a[0], NULL, MS_BIND | MS_REMOUNT | f | (unsigned long)extra, NULL) ? fail() : 0;
}

int op_umask(struct child_ctx *c, struct op *op) {
  (void)c;
  uint64_t m;
  if (num(op->args[0], 8, 0777, &m)) return EINVAL;
  umask((mode_t)m);
  return 0;
}


// A bundle's root is a plain directory: bound onto itself so pivot_root sees a mount point, and
// from then on every in-container path is resolved beneath it.
int op_bind_root(struct child_ctx *c, struct op *op) {
  const char *dir = op->args[0];
  if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) != 0) return fail();
  c->root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return c->root_fd < 0 ? fail() : 0;
}

// Without a mount namespace (runc and crun accept such configs) the container shares its caller's
// mounts: the root is only opened, not bound on itself, so no mount of skiff's own is left behind.
int op_open_root(struct child_ctx *c, struct op *op) {
  c->root_fd = open(op->args[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
  return c->root_fd < 0 ? fail() : 0;
}

// ... and the init is confined to its root with chroot(2), as runc and crun do then: pivot_root would
// change the root of every process in the caller's mount namespace.
int op_chroot(struct child_ctx *c, struct op *op) {
  (void)op;
  if (c->root_fd < 0) return EBADF;
  if (fchdir(c->root_fd) != 0 || chroot(".") != 0 || chdir("/") != 0) return fail();
  close(c->root_fd);
  c->root_fd = -1;
  return 0;
}
