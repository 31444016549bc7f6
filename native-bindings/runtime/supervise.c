// After execve the parent stays as the container's supervisor: it forwards signals, owns the pty or the
// stdin/stdout/stderr pipes, turns output into Docker json-file log lines, and records how it ended.
// The container never holds a descriptor of its caller: in the foreground ("relay") the supervisor
// copies between the caller's stdin/stdout/stderr (its own 0/1/2, on the host side) and those pipes.
// Options arrive as "key=value" args (TypeScript decides them; nothing here is policy):
//   log=PATH          json-file log of everything the container writes
//   exit-file=PATH    "code\nfinish-time\n" once it ended
//   exit-cmd=ARG      (repeated) argv of a command run after the exit is recorded (skiff's cleanup) when
//                     no foreground client is left to do it
//   attach=PATH       a unix socket: each client gets the output as it comes (with Docker's 8-byte stream
//                     headers when there is no pty), and what a client sends goes to the container's stdin
//   relay             fds 0/1/2 are a foreground client's: output is copied to 1 (and 2 for stderr)
//   relay-out / relay-err / relay-in   which of them (Docker's -a); relay-in reads fd 0 for the container
//   raw               fd 0 is a terminal: raw mode (output post-processing off too) while relaying
//   detach-keys=B,B…  bytes on fd 0 that detach the client (ctrl-p,ctrl-q = 16,17)
//   log-max-size=N    rotate the log once it holds N bytes: PATH → PATH.1 → … (--log-opt max-size)
//   log-max-file=K    files kept, the live one included (--log-opt max-file; 1: the log is truncated)
//   health-cmd=ARG    (repeated) argv of the healthcheck probe (skiff's, which execs the test and records
//                     the verdict); run health-interval=MS after the container started and after each
//                     probe ended, never two at once. The supervisor only keeps time: no Node stays resident.
// A relay client is gone when it detaches or when the engine stops reading our report pipe (the CLI
// was killed, or --sig-proxy=false and Ctrl-C): the supervisor then goes on alone, as for `run -d`.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
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
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "runtime.h"

struct logbuf { char data[16384]; size_t n; const char *stream; };

static int log_fd = -1;

// `skiff attach` clients: output is copied to each; a slow or gone client is dropped, never waited for.
enum { MAX_CLIENTS = 8 };
static int clients[MAX_CLIENTS] = {-1, -1, -1, -1, -1, -1, -1, -1};
static int framed;  // no pty: stdout and stderr travel apart, in Docker's stdcopy frames

static void fan_out(int stream, const char *p, size_t n) {
  char frame[8 + 65536];
  const char *msg = p;
  size_t len = n;
  if (framed && n <= 65536) {
    frame[0] = (char)stream;
    frame[1] = frame[2] = frame[3] = 0;
    frame[4] = (char)(n >> 24); frame[5] = (char)(n >> 16); frame[6] = (char)(n >> 8); frame[7] = (char)n;
    memcpy(frame + 8, p, n);
    msg = frame;
    len = n + 8;
  }
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i] < 0) continue;
    if (send(clients[i], msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len) { close(clients[i]); clients[i] = -1; }
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

// Log lines are gathered and written once per read of the container's output, all stamped with the
// time of that read: one clock read and one write per chunk, not per line (a million short lines
// otherwise cost a million writes).
static char log_out[1 << 18];
static size_t log_n;
static char log_time[48];

static const char *log_path;
static unsigned long long log_max_size, log_size;
static int log_max_file = 1;

// --log-opt max-size/max-file: once the live file holds max-size bytes it becomes PATH.1 (PATH.1 becomes
// PATH.2 …, the oldest beyond max-file goes), as Docker's json-file driver rotates; with one file it is
// truncated. Checked between writes, so a line is never split across files.
static void log_rotate(void) {
  if (!log_path || !log_max_size || log_size < log_max_size) return;
  char from[4200], to[4200];
  if (log_max_file > 1) {
    for (int i = log_max_file - 1; i >= 1; i--) {
      snprintf(to, sizeof to, "%s.%d", log_path, i);
      if (i == 1) snprintf(from, sizeof from, "%s", log_path); else snprintf(from, sizeof from, "%s.%d", log_path, i - 1);
      if (rename(from, to) != 0 && errno != ENOENT) {}
    }
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) { dup3(fd, log_fd, O_CLOEXEC); close(fd); }
  } else if (ftruncate(log_fd, 0) != 0) {}
  log_size = 0;
}

static void log_flush(void) {
  if (log_fd >= 0 && log_n && write(log_fd, log_out, log_n) > 0) { log_size += log_n; log_rotate(); }
  log_n = 0;
}

// Docker's json-file rotates before a line that would take the file past max-size: the gathered lines
// before it are written, the file rotated, and the line starts the next file.
static void log_limit(size_t line) {
  if (!log_max_size || log_size + log_n <= log_max_size || log_size + log_n - line == 0) return;
  size_t before = log_n - line;
  if (before && write(log_fd, log_out, before) > 0) log_size += before;
  memmove(log_out, log_out + before, line);
  log_n = line;
  log_size = log_max_size;  // force the rotation: this line would not fit
  log_rotate();
}

static void log_line(const char *stream, const char *s, size_t len) {
  if (log_fd < 0) return;
  // Worst case every byte becomes \u00XX.
  size_t cap = len * 6 + 128;
  if (cap > sizeof log_out - log_n) log_flush();
  char *big = cap > sizeof log_out ? malloc(cap) : NULL;
  char *out = big ? big : log_out + log_n;
  if (cap > sizeof log_out && !big) return;
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
  if (!log_time[0]) rfc3339(log_time, sizeof log_time);
  o += (size_t)snprintf(out + o, cap - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, log_time);
  if (big) { if (write(log_fd, big, o) > 0) { log_size += o; log_rotate(); } free(big); }
  else { log_n += o; log_limit(o); }
}

// Emit complete lines; a line longer than the buffer is split, as Docker does at 16 KiB.
static void log_feed(struct logbuf *b, const char *data, size_t n, int flush) {
  for (size_t i = 0; i < n; i++) {
    b->data[b->n++] = data[i];
    if (data[i] == '\n' || b->n == sizeof b->data) { log_line(b->stream, b->data, b->n); b->n = 0; }
  }
  if (flush && b->n) { log_line(b->stream, b->data, b->n); b->n = 0; }
}

// Writes everything, waiting for room when fd is non-blocking (the caller's pipes may be: the open file
// is shared with whoever gave it to us). Returns -1 when the reader is gone (EPIPE) or fd failed.
static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd pf = {.fd = fd, .events = POLLOUT};
      if (poll(&pf, 1, -1) < 0 && errno != EINTR) return -1;
      continue;
    }
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

// The foreground client: the caller's stdin/stdout/stderr as fds 0/1/2, -1 where not relayed.
static struct { int in, out, err, raw, present; struct termios saved; int nkeys, matched; unsigned char keys[16]; } client = {-1, -1, -1, 0, 0, {0}, 0, 0, {0}};

static void client_restore_tty(void) {
  if (client.raw) { tcsetattr(0, TCSADRAIN, &client.saved); client.raw = 0; }
}

// The client is gone (detached, or its CLI died): stop touching its descriptors, keep supervising.
static void client_leave(void) {
  if (!client.present) return;
  client_restore_tty();
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); if (null > 2) close(null); }
  client.in = client.out = client.err = -1;
  client.present = 0;
}

static void to_client(int *fd, const char *p, size_t n) {
  // A reader that went away (`| head -1`) stops the copy, never the container: its writes go on to the log.
  if (*fd >= 0 && write_all(*fd, p, n) != 0) *fd = -1;
}

// Reads what is available from fd; returns bytes read, 0 on EOF, -1 when it would block.
static ssize_t pump(int fd, int stream, int *client_fd, struct logbuf *lb) {
  char buf[65536];
  ssize_t r = read(fd, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  if (r <= 0) return 0;  // EOF, or EIO from a pty whose slave side is gone
  if (client_fd) to_client(client_fd, buf, (size_t)r);
  log_time[0] = '\0';
  if (lb) log_feed(lb, buf, (size_t)r, 0);
  log_flush();
  fan_out(stream, buf, (size_t)r);
  return r;
}

static void record_exit(const char *path, int code) {
  if (!path) return;
  char tmp[4200], t[48];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); // records are private (docs/security.md)
  if (fd < 0) { report("warn record-exit %d", errno); return; }
  rfc3339(t, sizeof t);
  int ok = dprintf(fd, "%d\n%s\n", code, t) > 0;
  ok = close(fd) == 0 && ok;
  // A half-written record never takes the real one's place: the engine then reads "no exit file".
  if (!ok || rename(tmp, path) != 0) { report("warn record-exit %d", errno); unlink(tmp); }
}

// Where input for the container goes: the pty, or the write end of its stdin pipe.
static int input_fd(struct launch *l) { return l->pty_master >= 0 ? l->pty_master : l->stdin_w; }

// Input typed by the client, minus the detach keys (held back while they might be the sequence, as
// Docker's escape proxy does). Returns 1 when the whole sequence was typed.
static int client_input(struct launch *l, const unsigned char *p, size_t n) {
  unsigned char out[4096 + 16];
  size_t o = 0;
  int detach = 0;
  for (size_t i = 0; i < n && !detach; i++) {
    if (client.nkeys && p[i] == client.keys[client.matched]) {
      if (++client.matched == client.nkeys) { detach = 1; client.matched = 0; }
      continue;
    }
    if (client.matched) { memcpy(out + o, client.keys, (size_t)client.matched); o += (size_t)client.matched; client.matched = 0; }
    if (client.nkeys && p[i] == client.keys[0]) { client.matched = 1; continue; }
    out[o++] = p[i];
    if (o >= 4096) { if (input_fd(l) >= 0) write_all(input_fd(l), (char *)out, o); o = 0; }
  }
  if (o && input_fd(l) >= 0) write_all(input_fd(l), (char *)out, o);
  return detach;
}

static void parse_keys(const char *s) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", s);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t && client.nkeys < 16; t = strtok_r(NULL, ",", &save)) {
    uint64_t b;
    if (parse_u64(t, 10, 255, &b) == 0) client.keys[client.nkeys++] = (unsigned char)b;
  }
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// The healthcheck probe: skiff's own command (it enters the container, runs the test, records the verdict).
// Its stdio is /dev/null, never a foreground client's; signals unblocked as any new program expects.
static pid_t spawn_probe(char **argv) {
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) _exit(127);
    int null = open("/dev/null", O_RDWR);
    if (null < 0) _exit(127);
    dup2(null, 0); dup2(null, 1); dup2(null, 2);
    if (null > 2) close(null);
    // Nothing of the supervisor's (the report pipe a foreground CLI waits on, the pty, the log) goes along.
    syscall(SYS_close_range, 3, ~0U, 0);
    setsid();
    execvp(argv[0], argv);
    _exit(127);
  }
  return pid > 0 ? pid : 0;
}

int supervise(struct launch *l, struct op *op) {
  const char *exit_file = NULL, *attach_path = NULL;
  char *exit_cmd[64], *health_cmd[64];
  int ncmd = 0, nhealth = 0, relay = 0, want_raw = 0, rin = 0, rout = 0, rerr = 0, any_part = 0;
  long long health_every = 0;
  for (int i = 0; i < op->nargs; i++) {
    char *a = op->args[i];
    if (!strncmp(a, "log=", 4)) {
      log_path = a + 4;
      log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600); // logs hold what the app printed: private
      struct stat st;
      if (log_fd >= 0 && fstat(log_fd, &st) == 0) log_size = (unsigned long long)st.st_size;
    }
    else if (!strncmp(a, "log-max-size=", 13)) log_max_size = strtoull(a + 13, NULL, 10);
    else if (!strncmp(a, "log-max-file=", 13)) log_max_file = atoi(a + 13) > 0 ? atoi(a + 13) : 1;
    else if (!strncmp(a, "health-cmd=", 11) && nhealth < 63) health_cmd[nhealth++] = a + 11;
    else if (!strncmp(a, "health-interval=", 16)) health_every = atoll(a + 16);
    else if (!strncmp(a, "exit-file=", 10)) exit_file = a + 10;
    else if (!strncmp(a, "exit-cmd=", 9) && ncmd < 63) exit_cmd[ncmd++] = a + 9;
    else if (!strncmp(a, "attach=", 7)) attach_path = a + 7;
    else if (!strcmp(a, "relay")) relay = 1;
    else if (!strcmp(a, "relay-in")) { rin = 1; any_part = 1; }
    else if (!strcmp(a, "relay-out")) { rout = 1; any_part = 1; }
    else if (!strcmp(a, "relay-err")) { rerr = 1; any_part = 1; }
    else if (!strcmp(a, "raw")) want_raw = 1;
    else if (!strncmp(a, "detach-keys=", 12)) parse_keys(a + 12);
  }
  exit_cmd[ncmd] = NULL;
  health_cmd[nhealth] = NULL;
  pid_t health_pid = 0;
  long long health_due = nhealth && health_every > 0 ? now_ms() + health_every : -1;
  if (relay) {
    if (!any_part) rout = rerr = 1;
    client.present = 1;
    client.in = rin && input_fd(l) >= 0 ? 0 : -1;
    client.out = rout ? 1 : -1;
    client.err = rerr ? 2 : -1;
    if (want_raw && isatty(0) && tcgetattr(0, &client.saved) == 0) {
      struct termios t = client.saved;
      cfmakeraw(&t);  // no ISIG/ICANON/ECHO, and no OPOST: the container's pty already ends lines in \r\n
      if (tcsetattr(0, TCSADRAIN, &t) == 0) client.raw = 1;
    }
    if (client.in < 0) client.nkeys = 0;
  }
  framed = l->pty_master < 0;
  sigset_t set;
  // Non-blocking: the loop below reads every pending signal and must then return to poll (a blocking
  // read after the last one would stall the logs, attach clients and healthcheck probes until the next).
  int sfd = sigprocmask(SIG_BLOCK, NULL, &set) == 0 ? signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) : -1;
  if (sfd < 0) {
    // Without the signal fd nothing could be forwarded or reaped in order: end the container, say why.
    int err = errno;
    kill(l->child, SIGKILL);
    client_restore_tty();
    return err;
  }
  struct logbuf out = {.n = 0, .stream = "stdout"}, err = {.n = 0, .stream = "stderr"};
  if (l->pty_master >= 0) {
    if (relay && isatty(0)) copy_winsize(0, l->pty_master);
    int fl = fcntl(l->pty_master, F_GETFL);
    if (fl < 0 || fcntl(l->pty_master, F_SETFL, fl | O_NONBLOCK) != 0) report("warn pty-nonblock %d", errno);
  }
  int lfd = attach_path ? listen_at(attach_path) : -1;
  int status = 0, done = 0;
  while (!done) {
    struct pollfd p[8 + MAX_CLIENTS];
    int np = 0, i_sig = np++, i_in = -1, i_m = -1, i_o = -1, i_e = -1, i_l = -1, i_r = -1, i_c[MAX_CLIENTS];
    p[i_sig] = (struct pollfd){.fd = sfd, .events = POLLIN};
    if (client.in >= 0) { i_in = np; p[np++] = (struct pollfd){.fd = 0, .events = POLLIN}; }
    // The report pipe's reader closing (POLLERR) says the foreground CLI is gone.
    if (client.present) { i_r = np; p[np++] = (struct pollfd){.fd = FD_REPORT, .events = 0}; }
    if (l->pty_master >= 0) { i_m = np; p[np++] = (struct pollfd){.fd = l->pty_master, .events = POLLIN}; }
    if (l->log_in[0] >= 0) { i_o = np; p[np++] = (struct pollfd){.fd = l->log_in[0], .events = POLLIN}; }
    if (l->log_in[1] >= 0) { i_e = np; p[np++] = (struct pollfd){.fd = l->log_in[1], .events = POLLIN}; }
    if (lfd >= 0) { i_l = np; p[np++] = (struct pollfd){.fd = lfd, .events = POLLIN}; }
    for (int c = 0; c < MAX_CLIENTS; c++) {
      i_c[c] = -1;
      if (clients[c] >= 0) { i_c[c] = np; p[np++] = (struct pollfd){.fd = clients[c], .events = POLLIN}; }
    }
    int wait_ms = -1;
    if (health_due >= 0 && !health_pid) {
      long long left = health_due - now_ms();
      wait_ms = left < 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
    }
    if (poll(p, (nfds_t)np, wait_ms) < 0) { if (errno == EINTR) continue; break; }
    if (health_due >= 0 && !health_pid && now_ms() >= health_due) {
      health_pid = spawn_probe(health_cmd);
      if (!health_pid) health_due = now_ms() + health_every;  // fork failed: try again an interval later
    }
    if (p[i_sig].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
          int st;
          pid_t w;
          while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
            if (w == l->child) { status = st; done = 1; }
            // The next probe is due an interval after this one ended (Docker's monitor does the same).
            if (w == health_pid) { health_pid = 0; health_due = now_ms() + health_every; }
          }
        } else if (sig == SIGWINCH) {
          if (client.present && l->pty_master >= 0 && isatty(0)) copy_winsize(0, l->pty_master);
        } else {
          syscall(SYS_pidfd_send_signal, l->pidfd, sig, NULL, 0);
        }
        if (done) break;
      }
    }
    if (i_r >= 0 && (p[i_r].revents & (POLLERR | POLLHUP))) client_leave();
    if (i_in >= 0 && client.in >= 0 && (p[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
      unsigned char buf[4096];
      ssize_t r = read(0, buf, sizeof buf);
      if (r > 0) {
        if (client_input(l, buf, (size_t)r)) {
          client_leave();
          report("detached");
        }
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        // EOF from the caller: the container's stdin ends too (`echo hi | skiff run -i … cat`).
        client.in = -1;
        if (l->stdin_w >= 0) { close(l->stdin_w); l->stdin_w = -1; }
      }
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
      if (r > 0 && input_fd(l) >= 0) write_all(input_fd(l), buf, (size_t)r);
      else if (r <= 0) { close(clients[c]); clients[c] = -1; }
    }
    if (i_m >= 0 && (p[i_m].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (pump(l->pty_master, 1, &client.out, &out) == 0) { close(l->pty_master); l->pty_master = -1; }
    }
    if (i_o >= 0 && (p[i_o].revents & (POLLIN | POLLHUP))) {
      if (pump(l->log_in[0], 1, &client.out, &out) == 0) { close(l->log_in[0]); l->log_in[0] = -1; }
    }
    if (i_e >= 0 && (p[i_e].revents & (POLLIN | POLLHUP))) {
      if (pump(l->log_in[1], 2, &client.err, &err) == 0) { close(l->log_in[1]); l->log_in[1] = -1; }
    }
  }
  // The process is gone. For a container's pid 1 the kernel has killed the rest of its pid namespace;
  // an exec'd process may have left children holding the pipes: take what is buffered, never wait.
  int drain[3] = {l->pty_master, l->log_in[0], l->log_in[1]};
  struct logbuf *bufs[3] = {&out, &out, &err};
  int streams[3] = {1, 1, 2};
  int *to[3] = {&client.out, &client.out, &client.err};
  for (int i = 0; i < 3; i++) {
    if (drain[i] < 0) continue;
    // Draining reads until EAGAIN: only a non-blocking fd may be drained, or the last read would hang.
    int fl = fcntl(drain[i], F_GETFL);
    if (fl < 0 || fcntl(drain[i], F_SETFL, fl | O_NONBLOCK) != 0) continue;
    while (pump(drain[i], streams[i], to[i], bufs[i]) > 0) {}
  }
  log_time[0] = '\0';
  log_feed(&out, "", 0, 1);
  log_feed(&err, "", 0, 1);
  log_flush();
  client_restore_tty();
  if (attach_path) unlink(attach_path);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  record_exit(exit_file, code);
  // Attached clients see EOF only once the exit is on record, so they can read the exit code at once.
  for (int c = 0; c < MAX_CLIENTS; c++) if (clients[c] >= 0) { close(clients[c]); clients[c] = -1; }
  if (WIFEXITED(status)) report("exit %d", code); else report("signaled %d", WTERMSIG(status));
  // A foreground client still here finishes the container itself (in-process, no extra start-up).
  if (ncmd && !client.present) {
    pid_t pid = fork();
    if (pid == 0) {
      sigset_t none;
      sigemptyset(&none);
      if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) _exit(127);
      execvp(exit_cmd[0], exit_cmd);
      _exit(127);
    }
    if (pid > 0) while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
  }
  return code;
}
