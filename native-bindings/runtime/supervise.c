// After execve the parent stays as the container's supervisor: it forwards signals, relays the pty,
// turns the child's stdout/stderr pipes into Docker json-file log lines, and records how it ended.
// Options arrive as "key=value" args: log=PATH, exit-file=PATH, exit-cmd=ARG (repeated: argv of a
// command run after the exit is recorded, e.g. skiff's own cleanup), attach=PATH (a unix socket: every
// client gets the container's output as it comes, and what a client sends goes to the pty).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "runtime.h"

struct logbuf { char data[16384]; size_t n; const char *stream; };

static int log_fd = -1;

// `skiff attach` clients: output is copied to each; a slow or gone client is dropped, never waited for.
enum { MAX_CLIENTS = 8 };
static int clients[MAX_CLIENTS] = {-1, -1, -1, -1, -1, -1, -1, -1};

static void fan_out(const char *p, size_t n) {
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i] < 0) continue;
    if (send(clients[i], p, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) { close(clients[i]); clients[i] = -1; }
  }
}

static int listen_at(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) return -1;
  strcpy(a.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  unlink(path);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || chmod(path, 0600) != 0 || listen(fd, MAX_CLIENTS) != 0) { close(fd); return -1; }
  return fd;
}

static void rfc3339(char *out, size_t n) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, n, "%s.%09ldZ", base, ts.tv_nsec);
}

static void log_line(const char *stream, const char *s, size_t len) {
  if (log_fd < 0) return;
  // Worst case every byte becomes \u00XX.
  size_t cap = len * 6 + 128;
  char *out = malloc(cap), t[48];
  if (!out) return;
  size_t o = (size_t)snprintf(out, cap, "{\"log\":\"");
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\') { out[o++] = '\\'; out[o++] = (char)ch; }
    else if (ch == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
    else if (ch == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
    else if (ch == '\t') { out[o++] = '\\'; out[o++] = 't'; }
    else if (ch < 0x20) o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
    else out[o++] = (char)ch;
  }
  rfc3339(t, sizeof t);
  o += (size_t)snprintf(out + o, cap - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, t);
  if (write(log_fd, out, o) < 0) {}
  free(out);
}

// Emit complete lines; a line longer than the buffer is split, as Docker does at 16 KiB.
static void log_feed(struct logbuf *b, const char *data, size_t n, int flush) {
  for (size_t i = 0; i < n; i++) {
    b->data[b->n++] = data[i];
    if (data[i] == '\n' || b->n == sizeof b->data) { log_line(b->stream, b->data, b->n); b->n = 0; }
  }
  if (flush && b->n) { log_line(b->stream, b->data, b->n); b->n = 0; }
}

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

// Reads what is available from fd; returns bytes read, 0 on EOF, -1 when it would block.
static ssize_t pump(int fd, int out_fd, struct logbuf *lb) {
  char buf[65536];
  ssize_t r = read(fd, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  if (r <= 0) return 0;  // EOF, or EIO from a pty whose slave side is gone
  if (out_fd >= 0) write_all(out_fd, buf, (size_t)r);
  if (lb) log_feed(lb, buf, (size_t)r, 0);
  fan_out(buf, (size_t)r);
  return r;
}

static void record_exit(const char *path, int code) {
  if (!path) return;
  char tmp[4200], t[48];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); // records are private (docs/security.md)
  if (fd < 0) return;
  rfc3339(t, sizeof t);
  dprintf(fd, "%d\n%s\n", code, t);
  close(fd);
  rename(tmp, path);
}

int supervise(struct launch *l, struct op *op) {
  const char *exit_file = NULL, *attach_path = NULL;
  char *exit_cmd[64];
  int ncmd = 0;
  for (int i = 0; i < op->nargs; i++) {
    char *a = op->args[i];
    if (!strncmp(a, "log=", 4)) log_fd = open(a + 4, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600); // logs hold what the app printed: private
    else if (!strncmp(a, "exit-file=", 10)) exit_file = a + 10;
    else if (!strncmp(a, "exit-cmd=", 9) && ncmd < 63) exit_cmd[ncmd++] = a + 9;
    else if (!strncmp(a, "attach=", 7)) attach_path = a + 7;
  }
  exit_cmd[ncmd] = NULL;
  sigset_t set;
  sigprocmask(SIG_BLOCK, NULL, &set);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  struct logbuf out = {.n = 0, .stream = "stdout"}, err = {.n = 0, .stream = "stderr"};
  int tty_in = l->pty_master >= 0 && isatty(0);
  if (l->pty_master >= 0) {
    if (tty_in) copy_winsize(0, l->pty_master);
    fcntl(l->pty_master, F_SETFL, O_NONBLOCK);
  }
  int stdin_open = l->pty_master >= 0 && !attach_path;
  int lfd = attach_path ? listen_at(attach_path) : -1;
  int status = 0, done = 0;
  while (!done) {
    struct pollfd p[6 + MAX_CLIENTS];
    int np = 0, i_sig = np++, i_in = -1, i_m = -1, i_o = -1, i_e = -1, i_l = -1, i_c[MAX_CLIENTS];
    p[i_sig] = (struct pollfd){.fd = sfd, .events = POLLIN};
    if (stdin_open) { i_in = np; p[np++] = (struct pollfd){.fd = 0, .events = POLLIN}; }
    if (l->pty_master >= 0) { i_m = np; p[np++] = (struct pollfd){.fd = l->pty_master, .events = POLLIN}; }
    if (l->log_in[0] >= 0) { i_o = np; p[np++] = (struct pollfd){.fd = l->log_in[0], .events = POLLIN}; }
    if (l->log_in[1] >= 0) { i_e = np; p[np++] = (struct pollfd){.fd = l->log_in[1], .events = POLLIN}; }
    if (lfd >= 0) { i_l = np; p[np++] = (struct pollfd){.fd = lfd, .events = POLLIN}; }
    for (int c = 0; c < MAX_CLIENTS; c++) {
      i_c[c] = -1;
      if (clients[c] >= 0) { i_c[c] = np; p[np++] = (struct pollfd){.fd = clients[c], .events = POLLIN}; }
    }
    if (poll(p, (nfds_t)np, -1) < 0) { if (errno == EINTR) continue; break; }
    if (p[i_sig].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
          int st;
          pid_t w;
          while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            if (w == l->child) { status = st; done = 1; }
        } else if (sig == SIGWINCH) {
          if (tty_in) copy_winsize(0, l->pty_master);
        } else {
          syscall(SYS_pidfd_send_signal, l->pidfd, sig, NULL, 0);
        }
        if (done) break;
      }
    }
    if (i_in >= 0 && (p[i_in].revents & (POLLIN | POLLHUP))) {
      char buf[4096];
      ssize_t r = read(0, buf, sizeof buf);
      if (r > 0) write_all(l->pty_master, buf, (size_t)r);
      else if (r == 0 || errno != EINTR) stdin_open = 0;
    }
    if (i_l >= 0 && (p[i_l].revents & POLLIN)) {
      int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      int c = 0;
      while (c < MAX_CLIENTS && clients[c] >= 0) c++;
      if (fd >= 0 && c < MAX_CLIENTS) clients[c] = fd; else if (fd >= 0) close(fd);
    }
    for (int c = 0; c < MAX_CLIENTS; c++) {
      if (i_c[c] < 0 || !(p[i_c[c]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t r = read(clients[c], buf, sizeof buf);
      if (r > 0 && l->pty_master >= 0) write_all(l->pty_master, buf, (size_t)r);
      else if (r <= 0) { close(clients[c]); clients[c] = -1; }
    }
    if (i_m >= 0 && (p[i_m].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (pump(l->pty_master, log_fd >= 0 ? -1 : 1, log_fd >= 0 ? &out : NULL) == 0) { close(l->pty_master); l->pty_master = -1; }
    }
    if (i_o >= 0 && (p[i_o].revents & (POLLIN | POLLHUP))) {
      if (pump(l->log_in[0], -1, &out) == 0) { close(l->log_in[0]); l->log_in[0] = -1; }
    }
    if (i_e >= 0 && (p[i_e].revents & (POLLIN | POLLHUP))) {
      if (pump(l->log_in[1], -1, &err) == 0) { close(l->log_in[1]); l->log_in[1] = -1; }
    }
  }
  // The container's pid 1 is gone, so the kernel has killed the rest of its pid namespace: whatever is
  // still buffered can be drained without blocking.
  int drain[3] = {l->pty_master, l->log_in[0], l->log_in[1]};
  struct logbuf *bufs[3] = {&out, &out, &err};
  for (int i = 0; i < 3; i++) {
    if (drain[i] < 0) continue;
    fcntl(drain[i], F_SETFL, O_NONBLOCK);
    int to = (i == 0 && log_fd < 0) ? 1 : -1;
    while (pump(drain[i], to, log_fd >= 0 ? bufs[i] : NULL) > 0) {}
  }
  log_feed(&out, "", 0, 1);
  log_feed(&err, "", 0, 1);
  if (attach_path) unlink(attach_path);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  record_exit(exit_file, code);
  // Attached clients see EOF only once the exit is on record, so they can read the exit code at once.
  for (int c = 0; c < MAX_CLIENTS; c++) if (clients[c] >= 0) { close(clients[c]); clients[c] = -1; }
  if (WIFEXITED(status)) report("exit %d", code); else report("signaled %d", WTERMSIG(status));
  if (ncmd) {
    pid_t pid = fork();
    if (pid == 0) {
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, NULL);
      execvp(exit_cmd[0], exit_cmd);
      _exit(127);
    }
    if (pid > 0) while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
  }
  return code;
}
