// Child ops that build the container's filesystem inside its own mount namespace: the overlay root,
// kernel filesystems, binds, directories and symlinks (every target resolved inside the root by
// open_in_root), pivot_root, masked and read-only paths.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ops.h"

static char *fd_path(int fd, char *buf, size_t n) {
  snprintf(buf, n, "/proc/self/fd/%d", fd);
  return buf;
}

int op_mount_private(struct child_ctx *c, struct op *op) {
  (void)c; (void)op;
  return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ? last_errno() : 0;
}

// A remount of a bind in a user namespace must keep the flags the kernel locked on the original
// mount (nosuid, nodev, noexec, ro …), or it fails with EPERM.
static int remount_bind(const char *path, unsigned long extra) {
  struct statvfs sv;
  if (statvfs(path, &sv) != 0) return last_errno();
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | f | extra, NULL) ? last_errno() : 0;
}

// Bind options: a comma-separated list of exactly these words; anything else is EINVAL.
static int bind_options(const char *opts, unsigned long *flags, int *rec) {
  static const struct { const char *word; unsigned long flag; } words[] = {
    {"ro", MS_RDONLY}, {"nosuid", MS_NOSUID}, {"nodev", MS_NODEV}, {"noexec", MS_NOEXEC}, {"rec", MS_REC},
  };
  *flags = 0;
  *rec = 0;
  for (const char *p = opts; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    size_t i;
    for (i = 0; i < sizeof words / sizeof words[0]; i++)
      if (strlen(words[i].word) == len && memcmp(words[i].word, p, len) == 0) break;
    if (i == sizeof words / sizeof words[0]) return EINVAL;
    if (words[i].flag == MS_REC) *rec = 1; else *flags |= words[i].flag;
    if (!end) break;
    p = end + 1;
  }
  return 0;
}

int op_overlay(struct child_ctx *c, struct op *op) {
  char **a = op->args;
  // Lower dirs are given relative to the layer store so a 50-layer image still fits in one page of
  // mount options; hence the chdir first.
  if (chdir(a[0]) != 0) return last_errno();
  char opts[4096];
  int n = snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s,userxattr%s%s", a[1], a[2], a[3], a[5][0] ? "," : "", a[5]);
  if (n < 0 || n >= (int)sizeof opts) return E2BIG;
  if (mount("overlay", a[4], "overlay", 0, opts) != 0) return last_errno();
  c->root_fd = open(a[4], O_PATH | O_DIRECTORY | O_CLOEXEC);
  return c->root_fd < 0 ? last_errno() : 0;
}

int op_mount(struct child_ctx *c, struct op *op) {
  char **a = op->args;
  uint64_t flags;
  int e = parse_u64(a[3], 10, UINT32_MAX, &flags);
  if (e) return e;
  // After pivot_root (root_fd closed) a target is resolved beneath the new "/" (skiff-oci's root propagation).
  int fd = c->root_fd >= 0 ? open_in_root(c->root_fd, a[1], CREATE_DIR, 0755) : open_in_own_root(a[1]);
  if (fd < 0) return -fd;
  char p[64];
  int r = mount(a[0], fd_path(fd, p, sizeof p), a[2], (unsigned long)flags, a[4][0] ? a[4] : NULL);
  e = errno;
  close(fd);
  return r ? e : 0;
}

int op_bind(struct child_ctx *c, struct op *op) {
  char **a = op->args;
  int rec;
  unsigned long extra;
  int e = bind_options(a[2], &extra, &rec);
  if (e) return e;
  if (strcmp(a[3], "file") != 0 && strcmp(a[3], "dir") != 0) return EINVAL;
  int fd = open_in_root(c->root_fd, a[1], strcmp(a[3], "file") == 0 ? CREATE_FILE : CREATE_DIR, 0644);
  if (fd < 0) return -fd;
  char p[64];
  if (mount(a[0], fd_path(fd, p, sizeof p), NULL, MS_BIND | (rec ? MS_REC : 0), NULL) != 0) {
    e = last_errno();
    close(fd);
    return e;
  }
  close(fd);
  if (!extra) return 0;
  // The old fd names the directory under the new mount; reopen to address the mount itself.
  int fd2 = open_in_root(c->root_fd, a[1], CREATE_NONE, 0);
  if (fd2 < 0) return -fd2;
  e = remount_bind(fd_path(fd2, p, sizeof p), extra);
  close(fd2);
  return e;
}

int op_mkdir(struct child_ctx *c, struct op *op) {
  uint64_t mode;
  int e = parse_u64(op->args[1], 8, 07777, &mode);
  if (e) return e;
  int fd = open_in_root(c->root_fd, op->args[0], CREATE_DIR, (int)mode);
  if (fd < 0) return -fd;
  close(fd);
  return 0;
}

int op_symlink(struct child_ctx *c, struct op *op) {
  const char *target = op->args[0], *link = op->args[1];
  const char *slash = strrchr(link, '/');
  if (!slash) return EINVAL;
  char *dir = strndup(link, (size_t)(slash - link));
  if (!dir) return ENOMEM;
  int fd = open_in_root(c->root_fd, dir[0] ? dir : "/", CREATE_DIR, 0755);
  free(dir);
  if (fd < 0) return -fd;
  int r = symlinkat(target, fd, slash + 1);
  int e = errno;
  close(fd);
  return (r == 0 || e == EEXIST) ? 0 : e;
}

int op_pivot(struct child_ctx *c, struct op *op) {
  (void)op;
  if (fchdir(c->root_fd) != 0) return last_errno();
  // pivot_root(".", "."): the old root ends up stacked on "/" and is detached right away, so the
  // container never sees (and the host never keeps) a put_old directory.
  if (syscall(SYS_pivot_root, ".", ".") != 0) return last_errno();
  if (umount2(".", MNT_DETACH) != 0) return last_errno();
  if (chdir("/") != 0) return last_errno();
  close(c->root_fd);
  c->root_fd = -1;
  return 0;
}

// Masked and read-only paths (after pivot_root) are resolved beneath the new root like every target.
int op_mask(struct child_ctx *c, struct op *op) {
  (void)c;
  int fd = open_in_own_root(op->args[0]);
  if (fd == -ENOENT) return 0;
  if (fd < 0) return -fd;
  struct stat st;
  char p[64];
  fd_path(fd, p, sizeof p);
  int e = fstat(fd, &st) ? last_errno() : 0;
  if (!e && S_ISDIR(st.st_mode)) e = mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0") ? last_errno() : 0;
  else if (!e) e = mount("/dev/null", p, NULL, MS_BIND, NULL) ? last_errno() : 0;
  close(fd);
  return e;
}

int op_readonly(struct child_ctx *c, struct op *op) {
  (void)c;
  int fd = open_in_own_root(op->args[0]);
  if (fd == -ENOENT) return 0;
  if (fd < 0) return -fd;
  char p[64];
  int e = mount(fd_path(fd, p, sizeof p), p, NULL, MS_BIND | MS_REC, NULL) ? last_errno() : 0;
  close(fd);
  if (e) return e;
  // Reopen: the old fd names the directory under the new bind, not the bind itself.
  fd = open_in_own_root(op->args[0]);
  if (fd < 0) return -fd;
  e = remount_bind(fd_path(fd, p, sizeof p), MS_RDONLY);
  close(fd);
  return e;
}
