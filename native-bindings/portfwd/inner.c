// The engine-side half: a child that joins the engine's user and network namespaces and answers each
// request with a fresh TCP socket made there. A socket keeps the network namespace it was made in, so
// the parent (which cannot join: setns(CLONE_NEWNET) needs CAP_SYS_ADMIN over the engine's namespace,
// which an unprivileged host-side process lacks) connects it to a container as if from inside.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>
#include "portfwd.h"

int send_fd(int sock, int fd, char byte) {
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int recv_fd(int sock, char *kind) {
  char byte = 0;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT); while (r < 0 && errno == EINTR);
  if (r <= 0) { if (r == 0) errno = EPIPE; return -1; }
  *kind = byte;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -2; /* the child could not make a socket: byte only */
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

static bool same_ns(int fd, const char *self) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static void __attribute__((noreturn)) serve(int sock, unsigned mark) {
  for (;;) {
    char byte;
    ssize_t r = recv(sock, &byte, 1, 0);
    if (r == 0) _exit(0);
    if (r < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s >= 0 && byte == REQ_TRANSPARENT && mark) {
      /* Both need CAP_NET_ADMIN over the engine's netns, which this child has (it joined the user
       * namespace owning it) and the host-side parent lacks. On failure the socket stays plain: the
       * parent's bind to the client's address then fails and it connects from the engine's own. */
      int one = 1;
      if (setsockopt(s, SOL_IP, IP_TRANSPARENT, &one, sizeof one) == 0) setsockopt(s, SOL_SOCKET, SO_MARK, &mark, sizeof mark);
    }
    if (s < 0) {
      /* answered without an fd: the parent drops that one client */
      if (send(sock, &byte, 1, MSG_NOSIGNAL) != 1) _exit(1);
      continue;
    }
    if (send_fd(sock, s, byte) != 0) _exit(1);
    close(s);
  }
}

int inner_start(int userns_fd, int netns_fd, unsigned mark) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    close(sv[0]);
    /* Only what it needs: not the ready pipe (whose reader waits for the parent) nor the exit pipe. */
    for (int fd = 3; fd < 1024; fd++) if (fd != sv[1] && fd != userns_fd && fd != netns_fd) close(fd);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) _exit(1);
    if (getppid() == 1) _exit(1);
    /* Unprivileged, the engine's netns can be joined only from inside the user namespace owning it. */
    if (!same_ns(userns_fd, "/proc/self/ns/user") && setns(userns_fd, CLONE_NEWUSER) != 0) {
      fprintf(stderr, "skiff-portfwd: setns(user): %s\n", strerror(errno));
      _exit(1);
    }
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      fprintf(stderr, "skiff-portfwd: setns(net): %s\n", strerror(errno));
      _exit(1);
    }
    close(userns_fd);
    close(netns_fd);
    char ready = 'R';
    if (send(sv[1], &ready, 1, MSG_NOSIGNAL) != 1) _exit(1);
    serve(sv[1], mark);
  }
  close(sv[1]);
  char ready;
  ssize_t r;
  do r = recv(sv[0], &ready, 1, 0); while (r < 0 && errno == EINTR);
  if (r != 1 || ready != 'R') {
    close(sv[0]);
    errno = ECHILD; /* the child could not join the engine's namespaces (its stderr says why) */
    return -1;
  }
  return sv[0];
}
