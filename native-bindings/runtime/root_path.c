// Every path inside the container's rootfs is resolved with openat2(RESOLVE_IN_ROOT): a symlink in an
// image (say /proc -> /etc) can never make a mount land on the host. Missing directories are created
// one component at a time, each relative to an fd that is already known to be inside the root.
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "runtime.h"

static int openat2_in_root(int root_fd, const char *path, int flags) {
  struct open_how how = {.flags = (uint64_t)flags, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}

// Returns an O_PATH fd for `path` inside the root, creating it (and missing parents) as asked.
int open_in_root(int root_fd, const char *path, int create_kind, int mode) {
  int fd = openat2_in_root(root_fd, path, O_PATH | O_CLOEXEC);
  if (fd >= 0 || errno != ENOENT || create_kind == CREATE_NONE) return fd >= 0 ? fd : -errno;
  char buf[4096];
  if (strlen(path) >= sizeof buf) return -ENAMETOOLONG;
  strcpy(buf, path);
  char *slash = strrchr(buf, '/');
  const char *leaf = slash ? slash + 1 : buf;
  int parent;
  if (slash && slash != buf) {
    *slash = '\0';
    parent = open_in_root(root_fd, buf, CREATE_DIR, 0755);
  } else {
    parent = openat2_in_root(root_fd, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0) parent = -errno;
  }
  if (parent < 0) return parent;
  int r;
  if (create_kind == CREATE_DIR) {
    r = mkdirat(parent, leaf, (mode_t)mode);
  } else {
    // O_PATH fds cannot create; reopen the parent directory for writing the new (empty) file.
    int dfd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    r = dfd < 0 ? -1 : 0;
    if (dfd >= 0) {
      int f = openat(dfd, leaf, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
      if (f < 0) r = -1; else close(f);
      int saved = errno;
      close(dfd);
      errno = saved;
    }
  }
  if (r < 0 && errno != EEXIST) { int e = errno; close(parent); return -e; }
  close(parent);
  // Resolve again from the root: if the name already existed as a symlink, it is followed inside the root.
  fd = openat2_in_root(root_fd, path, O_PATH | O_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

// After pivot_root (run) or setns into the container's mount namespace (exec), "/" is the container's
// root: resolve beneath it, refusing magic links such as /proc/self/fd/N that would lead back out.
int open_in_own_root(const char *path) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return -errno;
  int fd = open_in_root(root, path, CREATE_NONE, 0);
  close(root);
  return fd;
}
