// The engine's requests, one text line per connection on <run>/portfwd.sock (mode 0600 in the user's
// private run dir): `add HOSTIP HOSTPORT TARGETIP TARGETPORT` → `ok ID PORT` (PORT: the one bound, which
// the kernel picks for HOSTPORT 0; a trailing `keep-source`: connect from the client's own address when
// it is not a loopback one), `del ID` → `ok`, `list` → `ok` then one line per forward;
// failures answer `err ERRNO-NAME text`, so the engine can tell a taken port from a privileged one.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "portfwd.h"

static bool parse_addr(const char *ip, int port, struct sockaddr_in *out) {
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)port);
  return port >= 0 && port <= 65535 && inet_pton(AF_INET, ip, &out->sin_addr) == 1;
}

static int answer(const char *req, char *out, int len) {
  char hip[64], tip[64], opt[16] = "";
  int hport, tport, id;
  if (sscanf(req, "add %63s %d %63s %d %15s", hip, &hport, tip, &tport, opt) >= 4) {
    struct sockaddr_in host, target;
    if (!parse_addr(hip, hport, &host) || !parse_addr(tip, tport, &target) || tport == 0)
      return snprintf(out, (size_t)len, "err EINVAL bad address\n");
    int port, r = relay_add(&host, &target, !strcmp(opt, "keep-source"), &id, &port);
    if (r < 0) return snprintf(out, (size_t)len, "err %s %s\n", strerrorname_np(-r), strerror(-r));
    return snprintf(out, (size_t)len, "ok %d %d\n", id, port);
  }
  if (sscanf(req, "del %d", &id) == 1) {
    int r = relay_del(id);
    if (r < 0) return snprintf(out, (size_t)len, "err %s %s\n", strerrorname_np(-r), strerror(-r));
    return snprintf(out, (size_t)len, "ok\n");
  }
  if (strncmp(req, "list", 4) == 0) {
    int off = snprintf(out, (size_t)len, "ok\n");
    return off + relay_list(out + off, len - off);
  }
  return snprintf(out, (size_t)len, "err EINVAL unknown request\n");
}

void control_serve(int listen_fd) {
  int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  /* Requests are one short line sent at once; a client that stalls must not stall the relay long. */
  struct timeval tv = {.tv_sec = 1, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  char req[256];
  size_t n = 0;
  while (n < sizeof req - 1) {
    ssize_t r = read(fd, req + n, sizeof req - 1 - n);
    if (r <= 0) break;
    n += (size_t)r;
    if (memchr(req, '\n', n)) break;
  }
  req[n] = 0;
  static char out[65536];
  int len = n ? answer(req, out, sizeof out) : 0;
  if (len > (int)sizeof out - 1) len = (int)sizeof out - 1;
  for (int off = 0; off < len;) {
    ssize_t w = send(fd, out + off, (size_t)(len - off), MSG_NOSIGNAL);
    if (w <= 0) break;
    off += (int)w;
  }
  close(fd);
}
