// `enter PIDFILE PROG ARGS...`: step into skiff's rootless engine namespace (user, then mount, then
// net, as nsenter does) held by the process named in PIDFILE ("pid starttime"), then exec PROG as
// "root" inside it. The start time guards against a recycled pid. If the holder is gone, PROG runs
// outside with SKIFF_ENGINE_NS unset, and the CLI makes a fresh engine namespace.
// Joining is trusting: only a holder of our own is joined — the run dir ours and 0700 (no symlink),
// the pid file ours (opened with O_NOFOLLOW), the process ours and running this very skiff-runtime.
// Anything else is not joined; the CLI, outside, then explains (src/state/private-store.ts,
// src/rootless/holder-identity.ts hold the same rules). PROG must be an absolute path: a PATH search
// inside the engine namespace would let its mounts choose the program.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runtime.h"

static int read_starttime(long pid, char *out, size_t n) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return -1;
  buf[r] = '\0';
  // Field 22; the command name (field 2) may hold spaces, so count from the last ')'.
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  int field = 2;
  for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
    if (++field == 22) { snprintf(out, n, "%s", tok); return 0; }
  return -1;
}

static int ours_and_private_dir(const char *pidfile) {
  char copy[4096];
  snprintf(copy, sizeof copy, "%s", pidfile);
  struct stat st;
  return lstat(dirname(copy), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() && (st.st_mode & 077) == 0;
}

// Byte for byte the same file: the holder runs from the sealed memfd copy launch makes of itself
// (runtime/sealed_self.c), so its exe is a memfd, not the runtime's path.
static int same_bytes(const char *a, const char *b) {
  int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC), same = fa >= 0 && fb >= 0;
  char x[65536], y[65536];
  while (same) {
    ssize_t n = read(fa, x, sizeof x), m = read(fb, y, sizeof y);
    if (n < 0 || n != m || memcmp(x, y, (size_t)n) != 0) same = 0;
    else if (n == 0) break;
  }
  if (fa >= 0) close(fa);
  if (fb >= 0) close(fb);
  return same;
}

static int runs_this_runtime(long pid) {
  char path[64], exe[4096], self[4096];
  struct stat st;
  snprintf(path, sizeof path, "/proc/%ld", pid);
  if (stat(path, &st) != 0 || st.st_uid != getuid()) return 0;
  snprintf(path, sizeof path, "/proc/%ld/exe", pid);
  ssize_t n = readlink(path, exe, sizeof exe - 1), m = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0 || m <= 0) return 0;
  exe[n] = '\0';
  if (n == m && memcmp(exe, self, (size_t)n) == 0) return 1;
  return strcmp(exe, "/memfd:skiff-runtime (deleted)") == 0 && same_bytes(path, "/proc/self/exe");
}

// The cgroup v2 path of a process ("0::" line of /proc/PID/cgroup), or -1.
static int cgroup_of(const char *procfile, char *out, size_t n) {
  FILE *f = fopen(procfile, "re");
  if (!f) return -1;
  char line[4096];
  int found = -1;
  while (found && fgets(line, sizeof line, f))
    if (!strncmp(line, "0::", 3)) {
      line[strcspn(line, "\n")] = '\0';
      size_t len = strlen(line + 3);
      if (len >= n) break;  // no cgroup path is that long: treat as unknown
      memcpy(out, line + 3, len + 1);
      found = 0;
    }
  fclose(f);
  return found;
}

// A command from a login session joins the engine's cgroup before its namespaces. The kernel lets a process
// be cloned into (or moved to) a cgroup only by a writer of the cgroup.procs of the common ancestor of where
// it is and where it goes; from session-N.scope that ancestor is root's user-UID.slice, so the containers'
// cgroups (under the holder's delegated scope, src/rootless/systemd-scope.ts) would be out of reach. Then the
// user's systemd manager, which may move its user's processes, is asked to (AttachProcessesToUnit, through
// busctl, on the host side: D-Bus checks our uid, which the engine's user namespace would change). Where the
// ancestor is writable (a `systemctl --user` service, a delegated session) nothing is done. A failure only
// means that limits are refused later, with their own error.
static void follow_holder_cgroup(long pid) {
  char own[2048], hold[2048], path[2100];
  snprintf(path, sizeof path, "/proc/%ld/cgroup", pid);
  if (cgroup_of("/proc/self/cgroup", own, sizeof own) || cgroup_of(path, hold, sizeof hold) || !strcmp(own, hold)) return;
  size_t common = 0;  // length of the deepest common ancestor, on a '/' boundary
  for (size_t i = 0; own[i] && own[i] == hold[i]; i++)
    if (own[i] == '/') common = i;
  if (!own[common] || own[common] != hold[common]) return;
  size_t hl = strlen(hold);
  if (!strncmp(own, hold, hl) && (!own[hl] || own[hl] == '/')) return;  // inside it already
  snprintf(path, sizeof path, "/sys/fs/cgroup%.*s/cgroup.procs", (int)common, own);
  if (access(path, W_OK) == 0) return;
  // The unit: the holder's deepest .scope/.service component; the rest is the sub-cgroup (the engine leaf).
  char *unit = NULL, *sub = NULL;
  for (char *p = hold; (p = strchr(p, '/')) != NULL; p++) {
    char *end = strchr(p + 1, '/');
    size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
    if ((len > 6 && !strncmp(p + 1 + len - 6, ".scope", 6)) || (len > 8 && !strncmp(p + 1 + len - 8, ".service", 8))) { unit = p + 1; sub = end; }
  }
  if (!unit) return;
  char unit_name[512], sub_path[1024], self[32];
  snprintf(unit_name, sizeof unit_name, "%.*s", (int)(sub ? (size_t)(sub - unit) : strlen(unit)), unit);
  snprintf(sub_path, sizeof sub_path, "%s", sub ? sub : "");
  snprintf(self, sizeof self, "%d", (int)getpid());
  pid_t child = fork();
  if (child == 0) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
    execlp("busctl", "busctl", "--user", "--quiet", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
           "org.freedesktop.systemd1.Manager", "AttachProcessesToUnit", "ssau", unit_name, sub_path, "1", self, (char *)NULL);
    _exit(127);
  }
  if (child > 0) while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
}

static int join_holder(const char *pidfile) {
  if (!ours_and_private_dir(pidfile)) return -1;
  int pfd = open(pidfile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat pst;
  if (pfd < 0) return -1;
  if (fstat(pfd, &pst) != 0 || !S_ISREG(pst.st_mode) || pst.st_uid != getuid()) { close(pfd); return -1; }
  FILE *f = fdopen(pfd, "r");
  if (!f) { close(pfd); return -1; }
  long pid;
  char want[32], have[32];
  int ok = fscanf(f, "%ld %31s", &pid, want) == 2;
  fclose(f);
  if (!ok || read_starttime(pid, have, sizeof have) != 0 || strcmp(want, have) != 0 || !runs_this_runtime(pid)) return -1;
  follow_holder_cgroup(pid);
  const char *kinds[] = {"user", "mnt", "net"};
  int fds[3];
  for (int i = 0; i < 3; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, kinds[i]);
    if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) return -1;
  }
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "/");
  if (setns(fds[0], CLONE_NEWUSER) != 0) return -1;
  if (setns(fds[1], CLONE_NEWNS) != 0 || setns(fds[2], CLONE_NEWNET) != 0) {
    // Half inside is worse than outside: the user namespace cannot be left again.
    fprintf(stderr, "skiff: cannot enter the engine namespace: %s\n", strerror(errno));
    exit(125);
  }
  for (int i = 0; i < 3; i++) close(fds[i]);
  if (chdir(cwd) != 0 && chdir("/") != 0) {}
  return 0;
}

int cmd_enter(int argc, char **argv) {
  if (join_holder(argv[0]) != 0) unsetenv("SKIFF_ENGINE_NS");
  execv(argv[1], argv + 1);
  fprintf(stderr, "skiff: cannot start %s: %s\n", argv[1], strerror(errno));
  return 125;
  (void)argc;
}
