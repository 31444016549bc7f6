// Child ops that decide who the process is and what it may do: uid, gid and supplementary groups,
// the capability sets, and no_new_privs. A list that does not fit is an error, never truncated.
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ops.h"

// Calls fn(value) for each comma-separated number of `list` (each <= max); 0 or the first error.
static int each_number(const char *list, uint64_t max, int (*fn)(uint64_t v, void *arg), void *arg) {
  for (const char *p = list;;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char tok[24];
    if (len == 0 || len >= sizeof tok) return EINVAL;
    memcpy(tok, p, len);
    tok[len] = '\0';
    uint64_t v;
    int e = parse_u64(tok, 10, max, &v);
    if (!e) e = fn(v, arg);
    if (e) return e;
    if (!end) return 0;
    p = end + 1;
  }
}

struct gid_list { gid_t *ids; size_t n, cap; };
static int add_gid(uint64_t v, void *arg) {
  struct gid_list *g = arg;
  if (g->n == g->cap) return E2BIG;
  g->ids[g->n++] = (gid_t)v;
  return 0;
}

int op_user(struct child_ctx *c, struct op *op) {
  (void)c;
  char **a = op->args;
  uint64_t uid, gid;
  int e = parse_u64(a[0], 10, UINT32_MAX - 1, &uid);
  if (!e) e = parse_u64(a[1], 10, UINT32_MAX - 1, &gid);
  if (e) return e;
  // "-": the user namespace denies setgroups (single-id rootless map); leave the groups as they are.
  if (strcmp(a[2], "-") != 0) {
    long max = sysconf(_SC_NGROUPS_MAX);
    struct gid_list g = {.n = 0, .cap = max > 0 ? (size_t)max : 65536};
    g.ids = calloc(g.cap, sizeof *g.ids);
    if (!g.ids) return ENOMEM;
    e = a[2][0] ? each_number(a[2], UINT32_MAX - 1, add_gid, &g) : 0;
    if (!e && setgroups(g.n, g.ids) != 0) e = last_errno();
    free(g.ids);
    if (e) return e;
  }
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) return last_errno();
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) return last_errno();
  return 0;
}

int op_no_new_privs(struct child_ctx *c, struct op *op) {
  (void)c; (void)op;
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? last_errno() : 0;
}
