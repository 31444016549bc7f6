// skiff's front door (bin/skiff links here): a small static client that hands the command — argv,
// env, cwd, umask and the caller's own stdin/stdout/stderr (SCM_RIGHTS) — to the resident server
// (native-bindings/warm/), whose pre-started Node worker runs it; signals are forwarded and the
// worker's exit status comes back as this process's own. So no command waits for Node to start.
//
// It keeps working when the server is not there: it starts one (it goes away when idle) and, if that
// fails, runs the CLI itself exactly as before (node dist/<entry>.js, through the rootless engine
// namespace when one is held). The entry is chosen by the name it is called by: `skiff` → dist/cli.js,
// `skiff-oci` → dist/oci.js, so other front doors can share the same warm path.
//
// SKIFF_WARM=off runs the CLI directly; SKIFF_WARM=run-dir prints the run dir (tests compare it with
// src/state/paths.ts, which must agree).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "warm-proto.h"

extern char **environ;

static char top[PATH_MAX];       // the project: <top>/native-bindings/build/<this binary>
static char native_dir[PATH_MAX];  // where this binary and skiff-runtime live
static char run_dir[PATH_MAX];
static int rootless_outside;     // an ordinary user on the host: the engine lives in its namespace
static int oci;                  // called as skiff-oci: see oci_setup()
static int host_side;            // `system service`: starts on the host side of the engine namespace (host_side_verb)
static pid_t launcher = -1;      // skiff-oci: the pre-started `skiff-runtime launch`, our child
static int launcher_fds[3] = {-1, -1, -1};  // our ends of its plan, report and control channels

static void die(const char *what) {
  fprintf(stderr, "skiff: %s: %s\n", what, strerror(errno));
  exit(125);
}

static const char *entry_for(const char *argv0) {
  const char *base = strrchr(argv0, '/');
  base = base ? base + 1 : argv0;
  return strncmp(base, "skiff-", 6) == 0 && base[6] ? base + 6 : "cli";
}

static void find_self(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) die("cannot find its own binary");
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  *slash = '\0';
  snprintf(native_dir, sizeof native_dir, "%s", exe);
  // native-bindings/build → top
  for (int up = 0; up < 2 && (slash = strrchr(exe, '/')); up++) *slash = '\0';
  snprintf(top, sizeof top, "%s", exe);
}

static const char *env_or_empty(const char *name) {
  const char *v = getenv(name);
  return v ? v : "";
}

// The same rule as src/state/paths.ts (dataAndRunRoots), checked by test/unit/paths.test.ts.
static void find_run_dir(void) {
  const char *ns = env_or_empty("SKIFF_ENGINE_NS"), *root = env_or_empty("SKIFF_ROOT");
  const char *xdg = env_or_empty("XDG_RUNTIME_DIR");
  if (*ns) { snprintf(run_dir, sizeof run_dir, "%s", ns); return; }
  if (getuid() != 0) rootless_outside = 1;
  if (*root) snprintf(run_dir, sizeof run_dir, "%s/run", root);
  else if (!rootless_outside) snprintf(run_dir, sizeof run_dir, "/run/skiff");
  else if (*xdg) snprintf(run_dir, sizeof run_dir, "%s/skiff", xdg);
  else snprintf(run_dir, sizeof run_dir, "/tmp/skiff-run-%u", (unsigned)getuid());
}

// engine.pid holds "pid starttime"; the start time guards against a recycled pid.
static int holder_alive(void) {
  char path[PATH_MAX + 32], buf[4096], want[32];
  long pid;
  snprintf(path, sizeof path, "%s/engine.pid", run_dir);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  int ok = fscanf(f, "%ld %31s", &pid, want) == 2;
  fclose(f);
  if (!ok) return 0;
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return 0;
  buf[r] = '\0';
  char *p = strrchr(buf, ')');  // field 2 may hold spaces
  if (!p) return 0;
  int field = 2;
  for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
    if (++field == 22) return strcmp(tok, want) == 0;
  return 0;
}

// A run dir another user could have made or reached (planted before us in /tmp, a symlink, group- or
// world-accessible) is never trusted: no server socket, pid file or holder in it is used. The CLI then
// runs directly, and src/state/private-store.ts refuses that dir with its clear error.
static int run_dir_private(void) {
  struct stat st;
  // Not there yet: made here, 0700 and ours (only the last component: a missing parent is the CLI's to
  // explain). Someone else's dir at that path makes mkdir fail, and the checks below refuse it.
  if (lstat(run_dir, &st) != 0 && (errno != ENOENT || mkdir(run_dir, 0700) != 0 || lstat(run_dir, &st) != 0)) return 0;
  return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 077) == 0;
}

// `node` resolved here, in the host's mount namespace and the caller's PATH: after `enter` (which
// execs without a PATH search) the engine namespace's mounts would decide which file a bare name is.
static const char *node_binary(void) {
  static char found[PATH_MAX];
  const char *n = getenv("SKIFF_NODE");
  if (!n || !*n) n = "node";
  if (strchr(n, '/')) return n;
  const char *path = getenv("PATH");
  if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
  for (const char *p = path; *p;) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    size_t nl = strlen(n);
    if (len > 0 && len + nl + 2 <= sizeof found) {
      memcpy(found, p, len);
      found[len] = '/';
      memcpy(found + len + 1, n, nl + 1);
      if (access(found, X_OK) == 0) return found;
    }
    if (!end) break;
    p = end + 1;
  }
  return n;
}

// Prefix `skiff-runtime enter <engine.pid>` when an ordinary user's engine namespace is held, so the
// program starts inside it, as bin/skiff always did.
static int build_argv(const char **out, int max, const char *const *prog, int prog_n, int enter) {
  static char runtime[PATH_MAX + 32], pidfile[PATH_MAX + 32];
  int n = 0;
  if (enter) {
    snprintf(runtime, sizeof runtime, "%s/skiff-runtime", native_dir);
    snprintf(pidfile, sizeof pidfile, "%s/engine.pid", run_dir);
    out[n++] = runtime;
    out[n++] = "enter";
    out[n++] = pidfile;
    setenv("SKIFF_ENGINE_NS", run_dir, 1);
  }
  for (int i = 0; i < prog_n && n < max - 1; i++) out[n++] = prog[i];
  out[n] = NULL;
  return n;
}

// The CLI without the resident server: what bin/skiff did before there was one.
static void run_directly(const char *entry, int argc, char **argv) {
  static char script[PATH_MAX + 32];
  snprintf(script, sizeof script, "%s/dist/%s.js", top, entry);
  // "--" ends node's own options: Node 20 reads --env-file (and would read others) anywhere in its
  // argv, so `skiff run --env-file x …` must never be seen by node itself.
  const char *prog[3] = {node_binary(), "--", script};
  const char **args = calloc((size_t)argc + 8, sizeof *args);
  if (!args) die("out of memory");
  int n = build_argv(args, argc + 8, prog, 3, !oci && !host_side && rootless_outside && run_dir_private() && holder_alive());
  for (int i = 1; i < argc; i++) args[n++] = argv[i];
  args[n] = NULL;
  execvp(args[0], (char **)args);
  fprintf(stderr, "skiff: cannot start %s: %s\n", args[0], strerror(errno));
  exit(127);
}

static int connect_server(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) return -1;
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
  close(fd);
  return -1;
}

// Start the server detached (its own session, stdio on /dev/null); for an ordinary user inside the
// engine namespace, so the commands it runs are where the engine is.
static void start_server(void) {
  pid_t pid = fork();
  if (pid < 0) return;
  if (pid == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); if (null > 2) close(null); }
    static char server[PATH_MAX + 32], worker[PATH_MAX + 32];
    snprintf(server, sizeof server, "%s/skiff-warm", native_dir);
    snprintf(worker, sizeof worker, "%s/dist/warm-worker.js", top);
    const char *prog[4] = {server, run_dir, node_binary(), worker};
    const char *args[8];
    // skiff-oci's workers preload its code and stay for the next call; they go after 10 s idle.
    if (oci) { setenv("SKIFF_WARM_ENTRY", "oci", 1); setenv("SKIFF_WARM_IDLE", getenv("SKIFF_WARM_OCI_IDLE") ? getenv("SKIFF_WARM_OCI_IDLE") : "10", 1); }
    build_argv(args, 8, prog, 4, !oci && rootless_outside);
    execv(args[0], (char **)args);
    _exit(127);
  }
  waitpid(pid, NULL, 0);
}

static int connect_or_start(void) {
  char path[PATH_MAX + 16];
  if (!run_dir_private()) return -1;
  snprintf(path, sizeof path, "%s/" WARM_SOCKET, run_dir);
  int fd = connect_server(path);
  if (fd >= 0) return fd;
  start_server();
  // The server binds before its first worker is ready; the command then waits in its backlog.
  for (int i = 0; i < 1000; i++) {
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if ((fd = connect_server(path)) >= 0) return fd;
  }
  return -1;
}

struct buf { char *p; size_t len, cap; };

static void put(struct buf *b, const char *s) {
  size_t n = strlen(s) + 1;
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2;
    if (!(b->p = realloc(b->p, b->cap))) die("out of memory");
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int send_command(int sock, const char *entry, int argc, char **argv) {
  struct buf b = {0};
  char cwd[PATH_MAX], num[32];
  if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "/");
  mode_t mask = umask(022);
  umask(mask);
  put(&b, entry);
  put(&b, cwd);
  snprintf(num, sizeof num, "%o", (unsigned)mask);
  put(&b, num);
  snprintf(num, sizeof num, "%d", argc - 1);
  put(&b, num);
  for (int i = 1; i < argc; i++) put(&b, argv[i]);
  for (char **e = environ; *e; e++) put(&b, *e);
  if (b.len > WARM_MAX_PAYLOAD) return -1;
  int fds[6] = {0, 1, 2, launcher_fds[0], launcher_fds[1], launcher_fds[2]};
  int nfds = launcher >= 0 ? 6 : 3;
  struct warm_hello h = {WARM_MAGIC, (uint32_t)b.len};
  struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
  union { char buf[CMSG_SPACE(sizeof fds)]; struct cmsghdr align; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = CMSG_SPACE(nfds * sizeof(int))};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
  memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
  ssize_t w;
  do w = sendmsg(sock, &msg, MSG_NOSIGNAL); while (w < 0 && errno == EINTR);
  int rc = w == (ssize_t)sizeof h ? send_all(sock, b.p, b.len) : -1;
  free(b.p);
  return rc;
}

static int sig_pipe[2];

// A signal the terminal sent (Ctrl-C, Ctrl-\, a resize, a hang-up: si_code SI_KERNEL) went to this
// whole foreground process group, so it goes to the command's whole group too (a foreground
// container's supervisor is in it, as it was in the CLI's); a kill(2) aimed at this process goes to
// the command alone. The high bit tells the server which.
static void on_signal(int sig, siginfo_t *info, void *ctx) {
  (void)ctx;
  // skiff-oci: the launcher supervises a foreground container (run, exec) and forwards to it, as the
  // runtime process does under runc; the worker only translates and keeps records.
  if (oci) {
    if (launcher > 0) kill(launcher, sig);
    return;
  }
  unsigned char s = (unsigned char)(sig | (info && info->si_code == SI_KERNEL ? WARM_SIG_GROUP : 0));
  int saved = errno;
  if (write(sig_pipe[1], &s, 1) < 0) {}
  errno = saved;
}

// Not SIGTSTP: Ctrl-Z stops this client (the shell's job) while the command goes on, not a worker
// no shell could resume.
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGUSR1, SIGUSR2};

// Wait for 'A' (taken). 0: taken; -1: the server went away before, the command did not start.
static int await_taken(int sock) {
  char a;
  ssize_t r;
  do r = recv(sock, &a, 1, 0); while (r < 0 && errno == EINTR);
  return r == 1 && a == 'A' ? 0 : -1;
}

static int relay_until_exit(int sock) {
  if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) die("pipe");
  struct sigaction sa = {.sa_sigaction = on_signal};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_SIGINFO;
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaction(forwarded[i], &sa, NULL);
  int32_t status;
  size_t got = 0;
  for (;;) {
    struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = sig_pipe[0], .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[1].revents & POLLIN) {
      unsigned char sigs[64];
      ssize_t n = read(sig_pipe[0], sigs, sizeof sigs);
      if (n > 0) send_all(sock, (const char *)sigs, (size_t)n);
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = recv(sock, (char *)&status + got, sizeof status - got, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        fprintf(stderr, "skiff: the resident server went away while the command ran\n");
        return 125;
      }
      if ((got += (size_t)r) == sizeof status) break;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    // End the way the command ended, as a directly started CLI would have.
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return 128 + sig;
  }
  return 125;
}

// skiff-oci's own warm door. Its commands act on the caller's files, processes and mounts, so its
// server must live in the caller's namespaces: one server per set of namespaces (containerd in a private
// mount namespace, each runtime-tools test in its own), in a run dir named by their inode numbers. No
// engine namespace either: skiff-oci runs as the calling user, as runc does.
static void oci_setup(void) {
  static const char *kinds[] = {"mnt", "pid", "net", "user", "uts", "ipc", "cgroup"};
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the namespaces' inode numbers
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
    uint64_t ino = stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
    for (int b = 0; b < 8; b++) { h ^= (ino >> (8 * b)) & 0xff; h *= 1099511628211ull; }
  }
  if (mkdir(run_dir, 0700) != 0 && errno != EEXIST) return;
  size_t len = strlen(run_dir);
  snprintf(run_dir + len, sizeof run_dir - len, "/oci-%016llx", (unsigned long long)h);
  rootless_outside = 0;  // never the engine namespace
}

// The container's init must be a descendant of the caller (containerd's shim reaps it as its
// subreaper) and inherit the caller's stdio, as with runc: so `skiff-runtime launch` starts here, as
// our child, before the command is handed over; its plan, report and control channels go to the worker
// with the stdio. A verb that launches nothing closes them, and the launcher ends at once (empty plan).
static void prestart_launcher(void) {
  int sv[3][2];
  for (int i = 0; i < 3; i++)
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[i]) != 0) {
      for (int j = 0; j < i; j++) { close(sv[j][0]); close(sv[j][1]); }
      return;
    }
  pid_t pid = fork();
  if (pid == 0) {
    // Onto 3, 4, 5 (dup2 clears close-on-exec); the low numbers may be our ends, so go through 10+.
    int tmp[3];
    for (int i = 0; i < 3; i++) tmp[i] = fcntl(sv[i][1], F_DUPFD, 10);
    for (int i = 0; i < 3; i++) if (tmp[i] < 0 || dup2(tmp[i], 3 + i) != 3 + i) _exit(125);
    static char runtime[PATH_MAX + 32];
    snprintf(runtime, sizeof runtime, "%s/skiff-runtime", native_dir);
    execl(runtime, runtime, "launch", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 3; i++) close(sv[i][1]);
  if (pid < 0) {
    for (int i = 0; i < 3; i++) close(sv[i][0]);
    return;
  }
  launcher = pid;
  for (int i = 0; i < 3; i++) launcher_fds[i] = sv[i][0];
}

// The command runs without the server after all: the pre-started launcher is not needed.
static void drop_launcher(void) {
  for (int i = 0; i < 3; i++) if (launcher_fds[i] >= 0) { close(launcher_fds[i]); launcher_fds[i] = -1; }
  if (launcher > 0) { kill(launcher, SIGKILL); while (waitpid(launcher, NULL, 0) < 0 && errno == EINTR) {} }
  launcher = -1;
}

// An ordinary user's `skiff system service` starts outside the engine namespace and enters it itself:
// the process it leaves on the host side relays the service's registry traffic to the host's loopback
// (src/rootless/loopback-relay.ts), which the engine's own network cannot reach.
static int host_side_verb(int argc, char **argv) {
  const char *words[2] = {NULL, NULL};
  int n = 0;
  for (int i = 1; i < argc && n < 2; i++) {
    if (strcmp(argv[i], "--log-level") == 0) { i++; continue; }
    if (argv[i][0] == '-') continue;
    words[n++] = argv[i];
  }
  return n == 2 && strcmp(words[0], "system") == 0 && strcmp(words[1], "service") == 0;
}

int main(int argc, char **argv) {
  // A closed stdin/stdout/stderr is /dev/null, as a fresh process would find it — and never the
  // server connection, which would otherwise take the lowest free number and be handed on as stdio.
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) die("cannot open /dev/null");
  const char *entry = entry_for(argv[0]);
  oci = strcmp(entry, "oci") == 0;
  find_self();
  find_run_dir();
  const char *mode = env_or_empty("SKIFF_WARM");
  if (strcmp(mode, "run-dir") == 0) {
    printf("%s", run_dir);
    return 0;
  }
  if (!oci && rootless_outside && host_side_verb(argc, argv)) {
    host_side = 1;
    run_directly(entry, argc, argv);
  }
  if (strcmp(mode, "off") == 0) run_directly(entry, argc, argv);
  if (oci) oci_setup();
  // An ordinary user's first command makes the engine namespace; the Node CLI knows how.
  if (rootless_outside && (!run_dir_private() || !holder_alive())) run_directly(entry, argc, argv);
  if (oci) prestart_launcher();  // its start overlaps the hand-over
  int sock = connect_or_start();
  if (sock < 0 || send_command(sock, entry, argc, argv) != 0 || await_taken(sock) != 0) {
    if (sock >= 0) close(sock);
    drop_launcher();
    run_directly(entry, argc, argv);
  }
  // The worker holds its own copies now.
  for (int i = 0; i < 3; i++) if (launcher_fds[i] >= 0) { close(launcher_fds[i]); launcher_fds[i] = -1; }
  int rc = relay_until_exit(sock);
  // create returns once the container is set up: the launcher has detached (or ended) by now.
  if (launcher > 0) while (waitpid(launcher, NULL, 0) < 0 && errno == EINTR) {}
  return rc;
}
