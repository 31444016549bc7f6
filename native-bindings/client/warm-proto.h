// The front door's wire format, shared by the client (client/) and the resident server (warm/).
//
// client -> server, once:  struct warm_hello + SCM_RIGHTS [stdin, stdout, stderr] (skiff-oci: then the
//                          plan, report and control channels of a launcher it started), then `len` bytes of
//                          NUL-terminated strings: entry, cwd, umask (octal), argc, argv..., env...
// server -> client:        'A' once a worker owns the command (before it, a client may safely run the
//                          command itself), then the worker's raw wait status (int32) at its end.
// client -> server:        one byte per signal the client received, forwarded to the worker; with
//                          WARM_SIG_GROUP set (the terminal sent it), to the worker's process group.
// server -> worker (fd 3): u32 total length, u32 x6 server-side fd numbers of the caller's stdio and
//                          launcher channels (-1: none; the worker takes them with pidfd_getfd), then
//                          the strings above.
// worker -> server:        'R' ready for a command, 'G' caller's fds taken, 'X' + int32 wait status
//                          once the command is over (before Node's teardown; else its real status);
//                          a skiff-oci worker then says 'R' again and takes the next command.
#pragma once
#include <stdint.h>

#define WARM_MAGIC 0x314b5753u /* "SWK1" */
#define WARM_MAX_PAYLOAD (1u << 20)
#define WARM_SOCKET "warm.sock"
#define WARM_LOCK "warm.lock"
#define WARM_SIG_GROUP 0x80

struct warm_hello {
  uint32_t magic;
  uint32_t len;
};
