// The host-side half: published-port listeners, connections waiting for an engine-side socket, and the
// epoll loop that splices each client to its container both ways (kernel pipes: the bytes are not
// copied into this process). Level-triggered; each socket's interest follows its pipes' fill, so a slow
// reader holds back its writer (TCP back-pressure end to end) instead of growing buffers here.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "portfwd.h"

enum kind { K_LISTENER, K_INNER, K_CONTROL, K_EXIT, K_END };

struct handle { enum kind kind; void *ptr; };

struct fwd {
  struct handle h;
  int id, fd, conns;
  bool keep_source;
  struct sockaddr_in host, target;
  bool closed;
  struct fwd *next, *gnext;
};

/* A pipe carrying one direction: from `src` into the pipe, from the pipe to `dst`. */
struct dir {
  int pipe[2];
  size_t cap;     /* the pipe's size, as the kernel granted it */
  size_t n;       /* bytes in the pipe */
  bool eof;       /* the source said EOF */
  bool full;      /* the last fill met a full pipe: wait for a drain before reading again */
  bool shut;      /* EOF passed on: shutdown(dst, SHUT_WR) done */
};

struct end { struct handle h; int fd; uint32_t mask; bool added; };

struct conn {
  struct end a, b;  /* a: the client, accepted in the host netns; b: made in the engine netns */
  struct dir ab, ba;
  bool connecting, dead, closed, transparent, queued;
  struct sockaddr_in peer;  /* the client's address, as accepted */
  struct fwd *fwd;
  struct conn *prev, *next, *qnext;
};

static int ep = -1, inner = -1;
static struct fwd *fwds;
static int next_id = 1;
static struct conn *live, *qhead, *qtail;
/* Freed at the end of an epoll batch, not at once: later events of the same batch may still point
 * at them (they are then skipped by their `closed` flag). */
static struct conn *conn_graveyard;
static struct fwd *fwd_graveyard;
static bool paused;
static struct handle inner_h = {K_INNER, NULL}, control_h = {K_CONTROL, NULL}, exit_h = {K_EXIT, NULL};
static int control_listen = -1;

/* Engine-side sockets made ahead of need, so accepting a client costs no round trip to the child
 * (two wake-ups per connection, which a loaded machine stretches to milliseconds): a client takes one
 * at once and a refill is asked for. Unbound and unconnected until then. */
#define POOL 16
struct pool { int fd[POOL]; int n; int asked; char kind; };
static struct pool pools[2] = {{.kind = REQ_PLAIN}, {.kind = REQ_TRANSPARENT}};

static struct pool *pool_of(char kind) { return kind == REQ_TRANSPARENT ? &pools[1] : &pools[0]; }

static void pool_ask(struct pool *p) {
  while (p->n + p->asked < POOL) {
    if (send(inner, &p->kind, 1, MSG_NOSIGNAL) != 1) {
      fprintf(stderr, "skiff-portfwd: the engine-side helper is gone: %s\n", strerror(errno));
      exit(1);
    }
    p->asked++;
  }
}

/* Bigger pipes move more per splice: with 1 MiB skiff-portfwd's throughput was 0.84–1.01× rootlesskit's
 * in the same run, with 256 KiB 0.69× (docs/networking.md). Unprivileged users are held to
 * pipe-user-pages-soft: past it the kernel hands out small pipes, which still work. */
#define PIPE_WANT (1024 * 1024)

static void ep_set(struct end *e, uint32_t want) {
  if (e->fd < 0) return;
  if (!e->added) {
    struct epoll_event ev = {.events = want, .data.ptr = &e->h};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, e->fd, &ev) == 0) { e->added = true; e->mask = want; }
    return;
  }
  if (e->mask == want) return;
  struct epoll_event ev = {.events = want, .data.ptr = &e->h};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, e->fd, &ev) == 0) e->mask = want;
}

static void ep_drop(struct end *e) {
  if (e->added) epoll_ctl(ep, EPOLL_CTL_DEL, e->fd, NULL);
  e->added = false;
}

static void listeners_pause(bool on) {
  if (paused == on) return;
  paused = on;
  for (struct fwd *f = fwds; f; f = f->next) {
    struct epoll_event ev = {.events = on ? 0 : EPOLLIN, .data.ptr = &f->h};
    epoll_ctl(ep, EPOLL_CTL_MOD, f->fd, &ev);
  }
}

/* Empty pipes of finished connections are kept for the next ones: four syscalls fewer a connection
 * (pipe2, F_SETPIPE_SZ, two closes), a quarter of a short connection's cost here. */
#define SPARE_PIPES 16
static struct { int fd[2]; size_t cap; } spare[SPARE_PIPES];
static int nspare;

static void close_pipe(struct dir *d) {
  if (d->pipe[0] < 0) return;
  if (d->n == 0 && nspare < SPARE_PIPES) {
    spare[nspare].fd[0] = d->pipe[0];
    spare[nspare].fd[1] = d->pipe[1];
    spare[nspare++].cap = d->cap;
  } else {
    close(d->pipe[0]);
    close(d->pipe[1]);
  }
  d->pipe[0] = d->pipe[1] = -1;
}

static void conn_free(struct conn *c) {
  if (c->prev) c->prev->next = c->next; else if (live == c) live = c->next;
  if (c->next) c->next->prev = c->prev;
  ep_drop(&c->a);
  ep_drop(&c->b);
  if (c->a.fd >= 0) close(c->a.fd);
  if (c->b.fd >= 0) close(c->b.fd);
  close_pipe(&c->ab);
  close_pipe(&c->ba);
  if (c->fwd) c->fwd->conns--;
  c->closed = true;
  c->qnext = conn_graveyard;
  conn_graveyard = c;
  listeners_pause(false); /* an fd came free */
}

static int open_pipe(struct dir *d) {
  if (nspare > 0) {
    nspare--;
    d->pipe[0] = spare[nspare].fd[0];
    d->pipe[1] = spare[nspare].fd[1];
    d->cap = spare[nspare].cap;
    return 0;
  }
  if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) != 0) return -1;
  int sz = fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_WANT);
  if (sz <= 0) sz = fcntl(d->pipe[1], F_GETPIPE_SZ);
  d->cap = sz > 0 ? (size_t)sz : 4096;
  return 0;
}

/* Source → pipe; bytes moved, or -1: the connection is broken. */
static ssize_t fill(struct dir *d, int src) {
  if (d->eof || d->n >= d->cap) return 0;
  ssize_t r = splice(src, NULL, d->pipe[1], NULL, d->cap - d->n, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (r > 0) { d->n += (size_t)r; return r; }
  if (r == 0) d->eof = true;
  else if (errno == EAGAIN) d->full = d->n > 0; /* a pipe of small skb slots can be full below its size */
  else if (errno != EINTR) return -1;
  return 0;
}

/* Pipe → destination; passes EOF on once the pipe is empty. Bytes moved, or -1. */
static ssize_t drain(struct dir *d, int dst) {
  ssize_t moved = 0;
  if (d->n > 0) {
    ssize_t r = splice(d->pipe[0], NULL, dst, NULL, d->n, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (r > 0) { d->n -= (size_t)r; d->full = false; moved = r; }
    else if (r < 0 && errno != EAGAIN && errno != EINTR) return -1;
  }
  if (d->eof && d->n == 0 && !d->shut) {
    shutdown(dst, SHUT_WR);
    d->shut = true;
  }
  return moved;
}

static void conn_update(struct conn *c) {
  if (c->ab.shut && c->ba.shut) { conn_free(c); return; }
  /* An end with nothing left to read or write is taken out: a fully shut socket keeps reporting
   * EPOLLHUP, which would spin this loop while the other end drains. */
  if (c->ab.eof && c->ba.shut) ep_drop(&c->a);
  else ep_set(&c->a, (!c->ab.eof && !c->ab.full ? EPOLLIN : 0) | (c->ba.n ? EPOLLOUT : 0));
  if (c->ba.eof && c->ab.shut) ep_drop(&c->b);
  else ep_set(&c->b, (!c->ba.eof && !c->ba.full ? EPOLLIN : 0) | (c->ab.n ? EPOLLOUT : 0));
}

static void conn_connected(struct conn *c) {
  c->connecting = false;
  if (open_pipe(&c->ab) != 0 || open_pipe(&c->ba) != 0) { conn_free(c); return; }
  conn_update(c);
}

static void on_end(struct conn *c, bool is_a, uint32_t ev) {
  if (c->connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->b.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) { conn_free(c); return; }
    conn_connected(c);
    return;
  }
  if (ev & EPOLLERR) { conn_free(c); return; }
  struct end *e = is_a ? &c->a : &c->b, *o = is_a ? &c->b : &c->a;
  struct dir *in = is_a ? &c->ab : &c->ba, *out = is_a ? &c->ba : &c->ab;
  if (ev & (EPOLLIN | EPOLLHUP)) {
    /* A few rounds while both sides keep moving: a bulk stream then costs fewer epoll_waits. */
    for (int i = 0; i < 8; i++) {
      ssize_t got = fill(in, e->fd), put = got < 0 ? -1 : drain(in, o->fd);
      if (got < 0 || put < 0) { conn_free(c); return; }
      if (got == 0 || put == 0) break;
    }
  }
  if (ev & (EPOLLOUT | EPOLLHUP)) {
    if (drain(out, e->fd) < 0) { conn_free(c); return; }
  }
  conn_update(c);
}

static void start_connect(struct conn *c, int fd) {
  c->b.fd = fd;
  pool_ask(pool_of(c->transparent ? REQ_TRANSPARENT : REQ_PLAIN));
  if (c->transparent) {
    /* The client's address and port where the kernel lets us (a transparent socket, see inner.c);
     * its address alone when that pair is taken here; else the engine's own address. */
    struct sockaddr_in src = c->peer;
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
      src.sin_port = 0;
      bind(fd, (struct sockaddr *)&src, sizeof src);
    }
  }
  if (connect(fd, (struct sockaddr *)&c->fwd->target, sizeof c->fwd->target) == 0) { conn_connected(c); return; }
  if (errno != EINPROGRESS) { conn_free(c); return; }
  c->connecting = true;
  ep_set(&c->b, EPOLLOUT);
}

static void start_connect(struct conn *c, int fd);

static void on_inner(void) {
  for (;;) {
    char kind = 0;
    int fd = recv_fd(inner, &kind);
    if (fd == -1 && errno == EAGAIN) return;
    if (fd == -1) {
      fprintf(stderr, "skiff-portfwd: the engine-side helper is gone: %s\n", strerror(errno));
      exit(1);
    }
    struct pool *p = pool_of(kind);
    if (p->asked > 0) p->asked--;
    /* The oldest client waiting for this kind takes it; otherwise it goes to the pool. */
    struct conn **q = &qhead, *prev = NULL;
    while (*q && (*q)->transparent != (kind == REQ_TRANSPARENT)) { prev = *q; q = &(*q)->qnext; }
    struct conn *c = *q;
    if (c) {
      *q = c->qnext;
      if (qtail == c) qtail = prev;
      c->queued = false;
      /* No socket (the child hit its fd limit): that client is dropped, not left waiting. */
      if (c->dead || fd < 0) { if (fd >= 0) close(fd); conn_free(c); }
      else start_connect(c, fd);
      pool_ask(p);
      continue;
    }
    if (fd < 0) continue;
    if (p->n < POOL) p->fd[p->n++] = fd;
    else close(fd);
  }
}

static void on_listener(struct fwd *f) {
  for (int i = 0; i < 64; i++) {
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int fd = accept4(f->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) listeners_pause(true);
      return;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c) { close(fd); return; }
    *c = (struct conn){.a = {{K_END, c}, fd, 0, false}, .b = {{K_END, c}, -1, 0, false},
                       .ab = {{-1, -1}, 0, 0, false, false, false}, .ba = {{-1, -1}, 0, 0, false, false, false}, .fwd = f, .peer = peer};
    /* A loopback client's address means nothing inside the engine: it comes from the engine's own. */
    c->transparent = f->keep_source && peer.sin_family == AF_INET && (ntohl(peer.sin_addr.s_addr) >> 24) != 127;
    c->next = live;
    if (live) live->prev = c;
    live = c;
    f->conns++;
    struct pool *p = pool_of(c->transparent ? REQ_TRANSPARENT : REQ_PLAIN);
    if (p->n > 0) {
      start_connect(c, p->fd[--p->n]);
      continue;
    }
    c->queued = true;
    if (qtail) qtail->qnext = c; else qhead = c;
    qtail = c;
    pool_ask(p);
  }
}

int relay_init(int inner_sock, int control_fd, int exit_fd) {
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return -1;
  inner = inner_sock;
  control_listen = control_fd;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &inner_h};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, inner, &ev) != 0) return -1;
  ev.data.ptr = &control_h;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, control_fd, &ev) != 0) return -1;
  if (exit_fd >= 0) {
    ev.data.ptr = &exit_h;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, exit_fd, &ev) != 0) return -1;
  }
  pool_ask(&pools[0]);
  return 0;
}

int relay_add(const struct sockaddr_in *host, const struct sockaddr_in *target, bool keep_source, int *id, int *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  /* Lets a port freed by `rm` be published again while old connections linger in TIME_WAIT; it does
   * not let two listeners share a port. */
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in bound;
  socklen_t len = sizeof bound;
  if (bind(fd, (const struct sockaddr *)host, sizeof *host) != 0 || listen(fd, SOMAXCONN) != 0 ||
      getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  struct fwd *f = calloc(1, sizeof *f);
  if (!f) { close(fd); return -ENOMEM; }
  *f = (struct fwd){.h = {K_LISTENER, f}, .id = next_id++, .fd = fd, .keep_source = keep_source, .host = bound, .target = *target, .next = fwds};
  struct epoll_event ev = {.events = paused ? 0 : EPOLLIN, .data.ptr = &f->h};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) { int e = errno; close(fd); free(f); return -e; }
  fwds = f;
  *id = f->id;
  *port = ntohs(bound.sin_port);
  return 0;
}

int relay_del(int id) {
  struct fwd **p = &fwds;
  while (*p && (*p)->id != id) p = &(*p)->next;
  struct fwd *f = *p;
  if (!f) return -ENOENT;
  *p = f->next;
  close(f->fd); /* also leaves the epoll set */
  /* Its connections go with it: the container behind them is being removed. */
  for (struct conn *c = live, *n; c; c = n) {
    n = c->next;
    if (c->fwd != f) continue;
    c->fwd = NULL;
    if (c->queued) c->dead = true; /* its engine-side socket is on the way; dropped when it comes */
    else conn_free(c);
  }
  f->closed = true;
  f->gnext = fwd_graveyard;
  fwd_graveyard = f;
  return 0;
}

int relay_list(char *buf, int len) {
  int off = 0;
  for (struct fwd *f = fwds; f && off < len; f = f->next) {
    char h[INET_ADDRSTRLEN], t[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &f->host.sin_addr, h, sizeof h);
    inet_ntop(AF_INET, &f->target.sin_addr, t, sizeof t);
    int w = snprintf(buf + off, (size_t)(len - off), "%d %s %d %s %d %d\n", f->id, h, ntohs(f->host.sin_port), t, ntohs(f->target.sin_port), f->conns);
    if (w < 0 || w >= len - off) break;
    off += w;
  }
  return off;
}

void relay_run(void) {
  struct epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(ep, evs, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("skiff-portfwd: epoll_wait");
      exit(1);
    }
    for (int i = 0; i < n; i++) {
      struct handle *h = evs[i].data.ptr;
      switch (h->kind) {
        case K_LISTENER: if (!((struct fwd *)h->ptr)->closed) on_listener(h->ptr); break;
        case K_INNER: on_inner(); break;
        case K_CONTROL: control_serve(control_listen); break;
        case K_EXIT: exit(0); /* the engine's holder is gone */
        case K_END: {
          struct conn *c = h->ptr;
          if (!c->closed) on_end(c, h == &c->a.h, evs[i].events);
          break;
        }
      }
    }
    while (conn_graveyard) { struct conn *c = conn_graveyard; conn_graveyard = c->qnext; free(c); }
    while (fwd_graveyard) { struct fwd *f = fwd_graveyard; fwd_graveyard = f->gnext; free(f); }
  }
}
