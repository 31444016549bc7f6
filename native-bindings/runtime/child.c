// The container side of a launch: steps run in the new namespaces, in plan order, until execve.
// On the first failure the step index and errno go to the parent through the CLOEXEC error pipe.
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include "runtime.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int fail(void) { return errno ? errno : EIO; }

static char *fd_path(int fd, char *buf, size_t n) {
  snprintf(buf, n, "/proc/self/fd/%d", fd);
  return buf;
}

// A remount of a bind in a user namespace must keep the flags the kernel locked on the original
// mount (nosuid, nodev, noexec, ro …), or it fails with EPERM.
static unsigned long locked_flags(const char *path) {
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(path, &sv) != 0) return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

static int remount_bind(const char *path, unsigned long extra) {
  return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | locked_flags(path) | extra, NULL);
}

static unsigned long bind_flags(const char *opts, int *rec) {
  unsigned long f = 0;
  *rec = strstr(opts, "rec") != NULL;
  if (strstr(opts, "ro")) f |= MS_RDONLY;
  if (strstr(opts, "nosuid")) f |= MS_NOSUID;
  if (strstr(opts, "nodev")) f |= MS_NODEV;
  if (strstr(opts, "noexec")) f |= MS_NOEXEC;
  return f;
}

static int op_overlay(struct child_ctx *c, char **a) {
  // Lower dirs are given relative to the layer store so a 50-layer image still fits in one page of
  // mount options; hence the chdir first.
  if (chdir(a[0]) != 0) return fail();
  char opts[4096];
  int n = snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s,userxattr%s%s", a[1], a[2], a[3], a[5][0] ? "," : "", a[5]);
  if (n < 0 || n >= (int)sizeof opts) return E2BIG;
  if (mount("overlay", a[4], "overlay", 0, opts) != 0) return fail();
  c->root_fd = open(a[4], O_PATH | O_DIRECTORY | O_CLOEXEC);
  return c->root_fd < 0 ? fail() : 0;
}

static int op_rootfs(struct child_ctx *c, char **a) {
  // A plain directory as root: bind it onto itself so pivot_root sees a mount point.
  if (mount(a[0], a[0], NULL, MS_BIND | MS_REC, NULL) != 0) return fail();
  c->root_fd = open(a[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
  return c->root_fd < 0 ? fail() : 0;
}

static int op_mount(struct child_ctx *c, char **a) {
  int ok;
  unsigned long flags = parse_ulong(a[3], 10, &ok);
  if (!ok) return EINVAL;
  int fd = open_in_root(c->root_fd, a[1], CREATE_DIR, 0755);
  if (fd < 0) return -fd;
  char p[64];
  int r = mount(a[0], fd_path(fd, p, sizeof p), a[2], flags, a[4][0] ? a[4] : NULL);
  int e = errno;
  close(fd);
  return r ? e : 0;
}

static int op_bind(struct child_ctx *c, char **a) {
  int rec;
  unsigned long extra = bind_flags(a[2], &rec);
  int fd = open_in_root(c->root_fd, a[1], strcmp(a[3], "file") == 0 ? CREATE_FILE : CREATE_DIR, 0644);
  if (fd < 0) return -fd;
  char p[64];
  fd_path(fd, p, sizeof p);
  int r = mount(a[0], p, NULL, MS_BIND | (rec ? MS_REC : 0), NULL);
  if (r == 0 && extra) {
    // The fd still names the directory under the new mount; reopen to address the mount itself.
    int fd2 = open_in_root(c->root_fd, a[1], CREATE_NONE, 0);
    if (fd2 < 0) { close(fd); return -fd2; }
    char p2[64];
    r = remount_bind(fd_path(fd2, p2, sizeof p2), extra);
    int e = errno;
    close(fd2);
    errno = e;
  }
  int e = errno;
  close(fd);
  return r ? e : 0;
}

static int op_mkdir(struct child_ctx *c, char **a) {
  int ok;
  unsigned long mode = parse_ulong(a[1], 8, &ok);
  if (!ok) return EINVAL;
  int fd = open_in_root(c->root_fd, a[0], CREATE_DIR, (int)mode);
  if (fd < 0) return -fd;
  close(fd);
  return 0;
}

static int op_symlink(struct child_ctx *c, char **a) {
  char dir[4096];
  if (strlen(a[1]) >= sizeof dir) return ENAMETOOLONG;
  strcpy(dir, a[1]);
  char *slash = strrchr(dir, '/');
  if (!slash) return EINVAL;
  const char *leaf = a[1] + (slash - dir) + 1;
  *slash = '\0';
  int fd = open_in_root(c->root_fd, dir[0] ? dir : "/", CREATE_DIR, 0755);
  if (fd < 0) return -fd;
  int r = symlinkat(a[0], fd, leaf);
  int e = errno;
  close(fd);
  return (r == 0 || e == EEXIST) ? 0 : e;
}

static int op_pivot(struct child_ctx *c) {
  if (fchdir(c->root_fd) != 0) return fail();
  // pivot_root(".", "."): the old root ends up stacked on "/" and is detached right away, so the
  // container never sees (and the host never keeps) a put_old directory.
  if (syscall(SYS_pivot_root, ".", ".") != 0) return fail();
  if (umount2(".", MNT_DETACH) != 0) return fail();
  if (chdir("/") != 0) return fail();
  close(c->root_fd);
  c->root_fd = -1;
  return 0;
}

static int op_mask(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : fail();
  if (S_ISDIR(st.st_mode)) return mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0") ? fail() : 0;
  return mount("/dev/null", path, NULL, MS_BIND, NULL) ? fail() : 0;
}

static int op_readonly(const char *path) {
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0) return errno == ENOENT ? 0 : fail();
  return remount_bind(path, MS_RDONLY) ? fail() : 0;
}

static int op_pty(struct child_ctx *c) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return fail();
  int unlock = 0, n;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0 || ioctl(master, TIOCGPTN, &n) != 0) return fail();
  char name[64];
  snprintf(name, sizeof name, "/dev/pts/%d", n);
  int slave = open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) return fail();
  if (send_fd(c->sync_fd, master) != 0) return fail();
  close(master);
  if (setsid() < 0) return fail();
  if (ioctl(slave, TIOCSCTTY, 0) != 0) return fail();
  for (int i = 0; i <= 2; i++) if (dup2(slave, i) < 0) return fail();
  if (slave > 2) close(slave);
  return 0;
}

static int op_user(char **a) {
  int ok;
  unsigned long uid = parse_ulong(a[0], 10, &ok);
  if (!ok) return EINVAL;
  unsigned long gid = parse_ulong(a[1], 10, &ok);
  if (!ok) return EINVAL;
  gid_t groups[64];
  int ng = 0;
  char *list = a[2], *save = NULL;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *t = strcmp(list, "-") ? strtok_r(buf, ",", &save) : NULL; t && ng < 64; t = strtok_r(NULL, ",", &save)) {
    groups[ng++] = (gid_t)parse_ulong(t, 10, &ok);
    if (!ok) return EINVAL;
  }
  // "-": the user namespace denies setgroups (single-id rootless map); leave the groups as they are.
  if (strcmp(list, "-") != 0 && setgroups((size_t)ng, groups) != 0) return fail();
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) return fail();
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) return fail();
  return 0;
}

// Keep exactly the listed capabilities: drop the rest from the bounding set (so no later execve of a
// setuid or file-capability binary can regain them) and set effective = permitted = kept, inheritable
// empty, ambient cleared.
static int op_caps(const char *list) {
  uint64_t keep = 0;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", list);
  char *save = NULL;
  int ok;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    unsigned long n = parse_ulong(t, 10, &ok);
    if (!ok || n > 63) return EINVAL;
    keep |= 1ULL << n;
  }
  int last = 40;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) { if (fscanf(f, "%d", &last) != 1) last = 40; fclose(f); }
  for (int cap = 0; cap <= last; cap++)
    if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return fail();
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return fail();
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = (uint32_t)keep;
  data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
  return syscall(SYS_capset, &hdr, data) ? fail() : 0;
}

// Docker's lookup: a name without '/' is searched in the container's PATH, and only regular,
// executable files count; no /bin/sh fallback for scripts without #! (that is "exec format error").
static int op_exec(struct child_ctx *c, char **a, int n) {
  if (n < 2) return EINVAL;
  char **argv = &a[1];
  char **envp = calloc((size_t)c->nenv + 1, sizeof *envp);
  if (!envp) return ENOMEM;
  for (int i = 0; i < c->nenv; i++) envp[i] = c->env[i];
  // argv must be NULL-terminated: the plan's strings are followed by the next op's, so copy.
  char **av = calloc((size_t)n, sizeof *av);
  if (!av) return ENOMEM;
  for (int i = 0; i < n - 1; i++) av[i] = argv[i];
  if (strchr(av[0], '/')) { execve(av[0], av, envp); return fail(); }
  char path[4096], cand[4096];
  snprintf(path, sizeof path, "%s", a[0]);
  int err = ENOENT;
  char *save = NULL;
  for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    int m = snprintf(cand, sizeof cand, "%s/%s", *dir ? dir : ".", av[0]);
    if (m < 0 || m >= (int)sizeof cand) continue;
    struct stat st;
    if (stat(cand, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (access(cand, X_OK) != 0) { err = EACCES; continue; }
    execve(cand, av, envp);
    return fail();
  }
  return err;
}

__attribute__((noreturn)) static int op_pause(void) {
  // The engine-namespace holder: closing every fd (the error pipe among them) tells the parent the
  // namespace is ready; then it only waits to be killed.
  syscall(SYS_close_range, 0U, ~0U, 0);
  for (;;) pause();
}

int child_op(struct child_ctx *c, struct op *op) {
  const char *n = op->name;
  char **a = op->args;
#define NEED(k) do { if (op->nargs != (k)) return EINVAL; } while (0)
  if (!strcmp(n, "wait-parent")) {
    char b;
    ssize_t r;
    do r = read(c->sync_fd, &b, 1); while (r < 0 && errno == EINTR);
    if (r != 1) _exit(125);  // the parent aborted: nothing to report to
    return 0;
  }
  if (!strcmp(n, "mount-private")) return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ? fail() : 0;
  if (!strcmp(n, "overlay")) { NEED(6); return op_overlay(c, a); }
  if (!strcmp(n, "rootfs")) { NEED(1); return op_rootfs(c, a); }
  if (!strcmp(n, "mount")) { NEED(5); return op_mount(c, a); }
  if (!strcmp(n, "bind")) { NEED(4); return op_bind(c, a); }
  if (!strcmp(n, "mkdir")) { NEED(2); return op_mkdir(c, a); }
  if (!strcmp(n, "symlink")) { NEED(2); return op_symlink(c, a); }
  if (!strcmp(n, "pivot")) { NEED(0); return op_pivot(c); }
  if (!strcmp(n, "mask")) { NEED(1); return op_mask(a[0]); }
  if (!strcmp(n, "readonly")) { NEED(1); return op_readonly(a[0]); }
  if (!strcmp(n, "hostname")) { NEED(1); return sethostname(a[0], strlen(a[0])) ? fail() : 0; }
  if (!strcmp(n, "setsid")) return setsid() < 0 ? fail() : 0;
  if (!strcmp(n, "pty")) return op_pty(c);
  if (!strcmp(n, "chdir")) { NEED(1); return chdir(a[0]) ? fail() : 0; }
  if (!strcmp(n, "user")) { NEED(3); return op_user(a); }
  if (!strcmp(n, "caps")) { NEED(1); return op_caps(a[0]); }
  if (!strcmp(n, "no-new-privs")) return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? fail() : 0;
  if (!strcmp(n, "close-fds")) return syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) ? fail() : 0;
  if (!strcmp(n, "env")) { c->env = a; c->nenv = op->nargs; return 0; }
  if (!strcmp(n, "exec")) return op_exec(c, a, op->nargs);
  if (!strcmp(n, "pause")) return op_pause();
  int r = oci_child_op(c, op);
  return r >= 0 ? r : ENOSYS;
#undef NEED
}

void child_main(struct plan *plan, int sync_fd, int err_fd) {
  struct child_ctx c = {.sync_fd = sync_fd, .err_fd = err_fd, .root_fd = -1, .env = NULL, .nenv = 0};
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  for (int i = 0; i < plan->nchild; i++) {
    struct op *op = &plan->child[i];
    uint64_t t0 = plan->trace ? now_usec() : 0;
    errno = 0;
    int e = child_op(&c, op);
    if (e) {
      char msg[64];
      int m = snprintf(msg, sizeof msg, "%d %d\n", op->idx, e);
      if (write(err_fd, msg, (size_t)m) < 0) {}
      _exit(125);
    }
    if (plan->trace) report("step child %d %llu", op->idx, (unsigned long long)(now_usec() - t0));
  }
  // A plan must end in exec or pause; falling off the end is a plan bug.
  char msg[64];
  int m = snprintf(msg, sizeof msg, "%d %d\n", plan->nchild ? plan->child[plan->nchild - 1].idx : -1, EINVAL);
  if (write(err_fd, msg, (size_t)m) < 0) {}
  _exit(125);
}
