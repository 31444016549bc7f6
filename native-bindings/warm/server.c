// skiff-warm RUN_DIR NODE WORKER_JS: the resident side of skiff's front door. It listens on
// RUN_DIR/warm.sock (0600, its owner only) and keeps one Node worker started ahead of time, with
// the CLI already imported (src/warm/worker.ts). Each command a client hands over (argv, env, cwd,
// its stdio fds) goes to the ready worker, which runs exactly that one command and exits — one
// process per command as before, only its start-up is off the caller's clock — and the next worker
// is started at once. The server relays signals from the client and the worker's exit status back.
//
// C, not Node: it must hold received descriptors for the worker to take (pidfd_getfd), stay small
// while idle, and start in a millisecond when a client needs one. It leaves by itself after
// SKIFF_WARM_IDLE seconds (default 60) without a command, when its socket is removed or replaced,
// when the worker script changes (a rebuild), or — rootless — when the engine namespace's holder ends.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../client/warm-proto.h"

#define MAX_WORKERS 8
#define MAX_FAILURES 3
// One ready worker while quiet; two while commands come in a row (a script, a loop), so the next
// command rarely waits for a worker still starting. A Node worker idles at ~60 MB RSS.
#define QUIET_SPARES 1
#define BUSY_SPARES 2
#define BUSY_WINDOW 10

enum wstate { STARTING, READY, BUSY, RETIRING };

struct worker {
  pid_t pid;
  int ctl;        // our end of the worker's fd 3, -1 once closed
  int client;     // the client connection of the command it runs, -1 if none
  int fds[6];     // the caller's stdio (and skiff-oci's launcher channels) until the worker took its copies
  enum wstate state;
};

static struct worker workers[MAX_WORKERS];
static int nworkers;
static const char *node, *worker_js;
static char sock_path[PATH_MAX];
static ino_t sock_ino;
static struct stat script_st;
static int failures;

static time_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

static void close_fds(struct worker *w) {
  for (int i = 0; i < 6; i++) if (w->fds[i] >= 0) { close(w->fds[i]); w->fds[i] = -1; }
}

static void spawn_worker(void) {
  int sv[2];
  if (nworkers == MAX_WORKERS || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return;
  pid_t pid = fork();
  if (pid < 0) { close(sv[0]); close(sv[1]); return; }
  if (pid == 0) {
    setsid();  // no controlling terminal: the client forwards what its terminal sends
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(sv[1], 3) != 3) _exit(127);
    execlp(node, node, worker_js, (char *)NULL);
    _exit(127);
  }
  close(sv[1]);
  workers[nworkers++] = (struct worker){.pid = pid, .ctl = sv[0], .client = -1, .fds = {-1, -1, -1, -1, -1, -1}, .state = STARTING};
}

static int spares(void) {
  int n = 0;
  for (int i = 0; i < nworkers; i++) n += workers[i].state == STARTING || workers[i].state == READY;
  return n;
}

static void retire_spare(void) {
  for (int i = 0; i < nworkers; i++)
    if (workers[i].state == READY) { kill(workers[i].pid, SIGKILL); workers[i].state = RETIRING; return; }
}

static struct worker *ready_worker(void) {
  for (int i = 0; i < nworkers; i++) if (workers[i].state == READY) return &workers[i];
  return NULL;
}

static int read_full(int fd, void *p, size_t n) {
  char *c = p;
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    c += r;
    n -= (size_t)r;
  }
  return 0;
}

static int write_full(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t r = send(fd, c, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    c += r;
    n -= (size_t)r;
  }
  return 0;
}

// One command from a client to the ready worker; on any failure the client is dropped before 'A',
// so it runs the command itself.
static void take_command(int listen_fd, struct worker *w) {
  int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return;
  struct ucred cred;
  socklen_t cl = sizeof cred;
  struct timeval tv = {.tv_sec = 5};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 || cred.uid != geteuid()) { close(c); return; }
  struct warm_hello h;
  int fds[6] = {-1, -1, -1, -1, -1, -1};
  struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
  union { char buf[CMSG_SPACE(sizeof fds)]; struct cmsghdr align; } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t r;
  do r = recvmsg(c, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL); while (r < 0 && errno == EINTR);
  struct cmsghdr *cm = r == (ssize_t)sizeof h ? CMSG_FIRSTHDR(&msg) : NULL;
  size_t nfds = 0;
  if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
    nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (nfds > 6) nfds = 6;
    memcpy(fds, CMSG_DATA(cm), nfds * sizeof(int));
  }
  char *payload = NULL;
  // 3 descriptors (stdio) or 6 (stdio + skiff-oci's launcher channels); -1 tells the worker "none".
  int ok = cm && (nfds == 3 || nfds == 6) && fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0 && !(msg.msg_flags & MSG_CTRUNC) &&
           h.magic == WARM_MAGIC && h.len <= WARM_MAX_PAYLOAD && (payload = malloc(h.len + 28)) &&
           read_full(c, payload + 28, h.len) == 0;
  if (ok) {
    uint32_t head[7] = {h.len + 24};
    for (int i = 0; i < 6; i++) head[1 + i] = (uint32_t)fds[i];
    ok = write_full(w->ctl, head, sizeof head) == 0 && write_full(w->ctl, payload + 28, h.len) == 0 &&
         write_full(c, "A", 1) == 0;
  }
  free(payload);
  if (!ok) {
    for (int i = 0; i < 6; i++) if (fds[i] >= 0) close(fds[i]);
    close(c);
    return;
  }
  tv.tv_sec = 0;
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  w->client = c;
  memcpy(w->fds, fds, sizeof fds);
  w->state = BUSY;
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < nworkers; i++) {
      struct worker *w = &workers[i];
      if (w->pid != pid) continue;
      if (w->state == BUSY) failures = 0;
      else if (w->state != RETIRING) failures++;  // died before serving: a broken build or a missing node
      if (w->client >= 0) {
        int32_t s = status;
        write_full(w->client, &s, sizeof s);
        close(w->client);
      }
      close_fds(w);
      if (w->ctl >= 0) close(w->ctl);
      workers[i] = workers[--nworkers];
      break;
    }
  }
}

static void from_worker(struct worker *w) {
  char buf[16];
  ssize_t n = read(w->ctl, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && errno == EINTR) return;
    close(w->ctl);
    w->ctl = -1;
    return;
  }
  for (ssize_t i = 0; i < n; i++) {
    // 'R' again after a command: a skiff-oci worker stays for the next one.
    if (buf[i] == 'R' && (w->state == STARTING || (w->state == BUSY && w->client < 0))) w->state = READY;
    if (buf[i] == 'G') close_fds(w);
    if (buf[i] == 'X') {
      // The command's status, sent before Node's teardown: the client need not wait for that.
      int32_t s;
      size_t have = (size_t)(n - i - 1) < sizeof s ? (size_t)(n - i - 1) : sizeof s;
      memcpy(&s, buf + i + 1, have);
      if (have < sizeof s && read_full(w->ctl, (char *)&s + have, sizeof s - have) != 0) return;
      i += (ssize_t)have;
      if (w->client >= 0) {
        write_full(w->client, &s, sizeof s);
        close(w->client);
        w->client = -1;
      }
    }
  }
}

static void from_client(struct worker *w) {
  unsigned char sigs[16];
  ssize_t n = read(w->client, sigs, sizeof sigs);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) {
    // The caller is gone: as if the CLI it started had been killed with it.
    kill(w->pid, SIGKILL);
    close(w->client);
    w->client = -1;
    return;
  }
  for (ssize_t i = 0; i < n; i++) {
    int sig = sigs[i] & ~WARM_SIG_GROUP;
    // The worker leads its own process group (setsid); a foreground container's supervisor is in it.
    if (sig > 0 && sig < 65) kill(sigs[i] & WARM_SIG_GROUP ? -w->pid : w->pid, sig);
  }
}

static int same_file(const char *path, ino_t ino) {
  struct stat st;
  return stat(path, &st) == 0 && st.st_ino == ino;
}

static int script_changed(void) {
  struct stat st;
  return stat(worker_js, &st) != 0 || st.st_ino != script_st.st_ino || st.st_mtim.tv_sec != script_st.st_mtim.tv_sec ||
         st.st_mtim.tv_nsec != script_st.st_mtim.tv_nsec;
}

static int open_holder(const char *run_dir) {
  char path[PATH_MAX + 16];
  long pid;
  snprintf(path, sizeof path, "%s/engine.pid", run_dir);
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  int ok = fscanf(f, "%ld", &pid) == 1;
  fclose(f);
  return ok ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: skiff-warm RUN_DIR NODE WORKER_JS\n");
    return 2;
  }
  const char *run_dir = argv[1];
  node = argv[2];
  worker_js = argv[3];
  const char *idle_env = getenv("SKIFF_WARM_IDLE");
  long idle = idle_env && *idle_env ? atol(idle_env) : 60;
  umask(077);
  signal(SIGPIPE, SIG_IGN);
  mkdir(run_dir, 0700);
  char lock_path[PATH_MAX + 16];
  snprintf(lock_path, sizeof lock_path, "%s/" WARM_LOCK, run_dir);
  snprintf(sock_path, sizeof sock_path, "%s/" WARM_SOCKET, run_dir);
  int lock = open(lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) return 0;  // another server serves this dir
  if (stat(worker_js, &script_st) != 0) return 1;
  int holder = getenv("SKIFF_ENGINE_NS") ? open_holder(run_dir) : -1;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(sock_path) >= sizeof sa.sun_path) return 1;
  strcpy(sa.sun_path, sock_path);
  unlink(sock_path);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct stat st;
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 128) != 0 || stat(sock_path, &st) != 0) return 1;
  sock_ino = st.st_ino;
  if (chdir("/") != 0) return 1;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  time_t last = now();   // the last command (or the start), for the idle exit
  int served = 0;        // quiet (one spare) until the first command
  // Workers that serve command after command (skiff-oci's): one is kept; another starts only when a
  // command waits and none is ready, so a burst of calls never pays a spawn-and-retire cycle each.
  int persistent = getenv("SKIFF_WARM_ENTRY") && strcmp(getenv("SKIFF_WARM_ENTRY"), "oci") == 0;
  int waiting = 0;
  int open_for_commands = 1;
  for (;;) {
    if (open_for_commands) {
      int want = persistent ? (nworkers == 0 || waiting) : served && now() - last < BUSY_WINDOW ? BUSY_SPARES : QUIET_SPARES;
      while (spares() < want && nworkers < MAX_WORKERS && failures < MAX_FAILURES) spawn_worker();
      if (spares() > (persistent ? 1 : want)) retire_spare();
      int busy = 0;
      for (int i = 0; i < nworkers; i++) busy += workers[i].state == BUSY;
      int gone = !same_file(sock_path, sock_ino);
      if (gone || failures >= MAX_FAILURES || (busy == 0 && now() - last >= idle)) {
        // Stop taking commands; whoever waits in the backlog is refused and runs the CLI itself.
        close(lfd);
        if (!gone) unlink(sock_path);
        open_for_commands = 0;
      }
    }
    if (!open_for_commands) {
      for (int i = 0; i < nworkers; i++) if (workers[i].state == STARTING || workers[i].state == READY) kill(workers[i].pid, SIGKILL);
      if (nworkers == 0) return 0;
    }
    struct pollfd p[3 + 2 * MAX_WORKERS];
    struct worker *owner[3 + 2 * MAX_WORKERS];
    int n = 0;
    p[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    p[n++] = (struct pollfd){.fd = holder, .events = POLLIN};
    p[n++] = (struct pollfd){.fd = open_for_commands && (ready_worker() || (persistent && !waiting)) ? lfd : -1, .events = POLLIN};
    for (int i = 0; i < nworkers; i++) {
      if (workers[i].ctl >= 0) { owner[n] = &workers[i]; p[n++] = (struct pollfd){.fd = workers[i].ctl, .events = POLLIN}; }
      if (workers[i].client >= 0) { owner[n] = &workers[i]; p[n++] = (struct pollfd){.fd = workers[i].client, .events = POLLIN}; }
    }
    int r = poll(p, (nfds_t)n, 1000);
    if (r < 0 && errno != EINTR) return 1;
    if (r <= 0) continue;
    if (p[1].revents) { holder = -1; failures = MAX_FAILURES; }  // the engine namespace is gone
    for (int i = 3; i < n; i++) {
      if (!p[i].revents) continue;
      struct worker *w = owner[i];
      if (p[i].fd == w->ctl) from_worker(w);
      else if (p[i].fd == w->client) from_client(w);
    }
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      reap();
    }
    if (p[2].revents && open_for_commands) {
      if (script_changed()) {
        failures = MAX_FAILURES;  // rebuilt: this server's workers run the old code
        continue;
      }
      struct worker *w = ready_worker();
      if (w) take_command(lfd, w);
      waiting = persistent && !w;  // a command waits in the backlog: start a worker for it
      last = now();
      served = 1;
    }
  }
}
