// skiff-portfwd: the rootless engine's TCP port forwarder (docs/networking.md, "Rootless: the crossing").
// One process pair per engine: the parent stays in the host's network namespace (it binds and accepts
// published ports), a child joins the engine's user+net namespaces and makes the sockets that connect
// to containers; the parent splices the two together. C, not Node: it idles at a few hundred KiB where a
// Node process would cost ~40 MiB (measured, docs/networking.md).
#ifndef SKIFF_PORTFWD_H
#define SKIFF_PORTFWD_H
#include <stdbool.h>
#include <netinet/in.h>

/* Engine side (inner.c): fork the child that lives in the engine's namespaces; returns the parent's
 * end of a SOCK_SEQPACKET pair over which each request byte is answered with one socket fd:
 * REQ_PLAIN a plain TCP socket, REQ_TRANSPARENT one that may bind the client's (foreign) address,
 * marked with `mark` so the engine routes the container's replies back to it. */
#define REQ_PLAIN 'S'
#define REQ_TRANSPARENT 'T'
int inner_start(int userns_fd, int netns_fd, unsigned mark);
/* One fd with one byte (the request it answers); recv_fd: -2 = the byte came without an fd. */
int send_fd(int sock, int fd, char byte);
int recv_fd(int sock, char *kind);

/* Relay (relay.c): listeners, pending and live connections, the epoll loop. */
int relay_init(int inner_sock, int control_fd, int exit_fd);
int relay_add(const struct sockaddr_in *host, const struct sockaddr_in *target, bool keep_source, int *id, int *port);
int relay_del(int id);
/* Writes "id hostip hostport targetip targetport conns\n" lines; returns bytes written. */
int relay_list(char *buf, int len);
void relay_run(void) __attribute__((noreturn));

/* Control (control.c): one text request per connection on the unix socket. */
void control_serve(int listen_fd);
#endif
