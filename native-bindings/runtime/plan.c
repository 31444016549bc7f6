// The plan arrives as NUL-terminated strings: for each step "<name>\0<nargs>\0<arg>\0...". A step named
// "child" separates the parent's steps from the child's; "trace" turns on step timing. TypeScript has
// validated everything already, so this parser only guards against a truncated or garbled stream; each
// op's name, role and arity are checked against the op table when it is dispatched.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "runtime.h"

static char *read_all(int fd, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    if (n == cap) {
      if (cap > (16u << 20)) { free(buf); errno = E2BIG; return NULL; }
      char *b = realloc(buf, cap *= 2);
      if (!b) { free(buf); return NULL; }
      buf = b;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { int e = errno; free(buf); errno = e; return NULL; }
    if (r == 0) break;
    n += (size_t)r;
  }
  *len = n;
  return buf;
}

int plan_read(int fd, struct plan *plan) {
  size_t len;
  char *buf = read_all(fd, &len);
  if (!buf) return -1;
  if (len == 0 || buf[len - 1] != '\0') { free(buf); errno = EINVAL; return -1; }
  // Count strings to size the arrays (an upper bound on the number of steps).
  size_t nstr = 0;
  for (size_t i = 0; i < len; i++) if (buf[i] == '\0') nstr++;
  struct op *ops = calloc(nstr + 1, sizeof *ops);
  char **strs = calloc(nstr + 1, sizeof *strs);
  if (!ops || !strs) { free(ops); free(strs); free(buf); errno = ENOMEM; return -1; }
  size_t k = 0;
  for (size_t i = 0; i < len; k++) { strs[k] = buf + i; i += strlen(buf + i) + 1; }
  memset(plan, 0, sizeof *plan);
  int nops = 0, sep = -1;
  for (size_t s = 0; s < nstr;) {
    uint64_t n;
    if (s + 1 >= nstr || parse_u64(strs[s + 1], 10, nstr - s - 2, &n) != 0) {
      free(ops); free(strs); free(buf);
      errno = EINVAL;
      return -1;
    }
    struct op *op = &ops[nops];
    op->name = strs[s];
    op->nargs = (int)n;
    op->args = &strs[s + 2];
    op->idx = nops;
    s += 2 + n;
    if (strcmp(op->name, "trace") == 0) plan->trace = 1;
    if (strcmp(op->name, "child") == 0 && sep < 0) sep = nops;
    nops++;
  }
  plan->parent = ops;
  plan->nparent = sep < 0 ? nops : sep;
  plan->child = sep < 0 ? &ops[nops] : &ops[sep + 1];
  plan->nchild = sep < 0 ? 0 : nops - sep - 1;
  return 0;
}
