// The launcher's clone enters the container while it is still this program, and a container process
// can execve /proc/self/exe of it (the CVE-2019-5736 class): so `launch` first re-executes itself from a
// sealed memfd copy, as runc does. /proc/<pid>/exe of anything in the container is then that copy —
// read-only for everyone, root included (F_SEAL_WRITE) — never the host's runtime file.
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

enum { SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE };

extern char **environ;

static int copy_sealed(int src, off_t size) {
  // MFD_EXEC: kernels with vm.memfd_noexec otherwise make the copy non-executable; older kernels
  // do not know the flag.
  int mfd = memfd_create("skiff-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("skiff-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) return -errno;
  off_t done = 0;
  while (done < size) {
    ssize_t n = sendfile(mfd, src, &done, (size_t)(size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { int e = n < 0 ? errno : EIO; close(mfd); return -e; }
  }
  if (fcntl(mfd, F_ADD_SEALS, SEALS) != 0) { int e = errno; close(mfd); return -e; }
  return mfd;
}

int run_from_sealed_copy(char **argv) {
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) return errno;
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS) {
    close(self);
    // execveat named us after the fd number; keep the name ps and the tests look for.
    return prctl(PR_SET_NAME, "skiff-runtime", 0, 0, 0) ? errno : 0;
  }
  struct stat st;
  if (fstat(self, &st) != 0) { int e = errno; close(self); return e; }
  int mfd = copy_sealed(self, st.st_size);
  close(self);
  if (mfd < 0) return -mfd;
  fexecve(mfd, argv, environ);
  int e = errno;
  close(mfd);
  return e;
}
