// Seccomp for the launcher: `skiff-runtime seccomp-bpf` compiles the filter TypeScript selected
// (src/spawn/seccomp.ts encodes the OCI linux.seccomp as strings) with libseccomp, and the child op
// `seccomp` loads a compiled program. No policy here: which calls are allowed, for which arch, with which
// argument conditions, all comes from TypeScript.
// Rule strings: defaultAction, defaultErrno ("-" if none), "arch,arch…", then one per rule:
// "ACTION ERRNO name,name… [index:OP:value:valueTwo …]".
#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

static int parse_action(const char *name, const char *err, uint32_t *out) {
  uint64_t e = 0;
  if (strcmp(err, "-") != 0 && parse_u64(err, 10, 4095, &e)) return EINVAL;
  if (!strcmp(name, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
  else if (!strcmp(name, "SCMP_ACT_ERRNO")) *out = SCMP_ACT_ERRNO((uint16_t)e);
  else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL_THREAD;
  else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
  else if (!strcmp(name, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
  else if (!strcmp(name, "SCMP_ACT_TRACE")) *out = SCMP_ACT_TRACE((uint16_t)e);
  else if (!strcmp(name, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
  else return EINVAL;
  return 0;
}

static int parse_op(const char *s, enum scmp_compare *out) {
  static const struct { const char *n; enum scmp_compare op; } t[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT}, {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) if (!strcmp(s, t[i].n)) { *out = t[i].op; return 0; }
  return EINVAL;
}

// "index:OP:value:valueTwo"
static int parse_cond(char *s, struct scmp_arg_cmp *c) {
  char *save = NULL, *idx = strtok_r(s, ":", &save), *op = strtok_r(NULL, ":", &save);
  char *v1 = strtok_r(NULL, ":", &save), *v2 = strtok_r(NULL, ":", &save);
  if (!idx || !op || !v1 || !v2) return EINVAL;
  uint64_t i, a, b;
  if (parse_u64(idx, 10, 5, &i) || parse_u64(v1, 10, UINT64_MAX, &a) || parse_u64(v2, 10, UINT64_MAX, &b)) return EINVAL;
  memset(c, 0, sizeof *c);
  c->arg = (unsigned)i;
  c->datum_a = a;
  c->datum_b = b;
  return parse_op(op, &c->op);
}

static int add_rule(scmp_filter_ctx ctx, uint32_t def, char *rule) {
  char *save = NULL, *act = strtok_r(rule, " ", &save), *err = strtok_r(NULL, " ", &save), *names = strtok_r(NULL, " ", &save);
  if (!act || !err || !names) return EINVAL;
  uint32_t action;
  if (parse_action(act, err, &action)) return EINVAL;
  struct scmp_arg_cmp conds[6];
  unsigned n = 0;
  for (char *c = strtok_r(NULL, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
    if (n == 6 || parse_cond(c, &conds[n])) return EINVAL;
    n++;
  }
  if (action == def) return 0;  // libseccomp refuses a rule that repeats the default
  char *save2 = NULL;
  for (char *name = strtok_r(names, ",", &save2); name; name = strtok_r(NULL, ",", &save2)) {
    int nr = seccomp_syscall_resolve_name(name);
    // A name this libseccomp (or arch) does not know cannot be called here either: skip it, as runc does.
    if (nr == __NR_SCMP_ERROR) continue;
    int r = seccomp_rule_add_array(ctx, action, nr, n, conds);
    // -EOPNOTSUPP/-EINVAL for a call that is not on one of the arches: skipped the same way.
    if (r != 0 && r != -EOPNOTSUPP && r != -EINVAL && r != -EDOM) return -r;
  }
  return 0;
}

// The filter of args[0..n): defaultAction, defaultErrno, arches, rules (see the top of this file).
static int build(char **a, int n, scmp_filter_ctx *out) {
  if (n < 3) return EINVAL;
  uint32_t def;
  if (parse_action(a[0], a[1], &def)) return EINVAL;
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return ENOMEM;
  int e = 0;
  char arches[256];
  if (strlen(a[2]) >= sizeof arches) { e = EINVAL; goto fail; }
  strcpy(arches, a[2]);
  char *save = NULL;
  for (char *arch = strtok_r(arches, ",", &save); arch; arch = strtok_r(NULL, ",", &save)) {
    // "SCMP_ARCH_X86_64" → libseccomp's "x86_64"
    char *lower = arch + (strncmp(arch, "SCMP_ARCH_", 10) ? 0 : 10);
    for (char *q = lower; *q; q++) *q = (char)tolower((unsigned char)*q);
    uint32_t token = seccomp_arch_resolve_name(lower);
    if (!token) { e = EINVAL; goto fail; }
    int r = seccomp_arch_add(ctx, token);
    if (r != 0 && r != -EEXIST) { e = -r; goto fail; }
  }
  for (int i = 3; i < n; i++) {
    char *rule = strdup(a[i]);
    if (!rule) { e = ENOMEM; goto fail; }
    e = add_rule(ctx, def, rule);
    free(rule);
    if (e) goto fail;
  }
  *out = ctx;
  return 0;
fail:
  seccomp_release(ctx);
  return e;
}

// `skiff-runtime seccomp-bpf`: the rules as NUL-terminated strings on stdin → the compiled classic BPF
// program (struct sock_filter[]) on stdout. The engine runs it once per distinct filter and caches the
// result: compiling Docker's profile for three arches costs tens of milliseconds, loading it microseconds.
int cmd_seccomp_bpf(void) {
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) return 1;
  for (;;) {
    if (len == cap) {
      char *b = cap < (16u << 20) ? realloc(buf, cap *= 2) : NULL;
      if (!b) { free(buf); return 1; }
      buf = b;
    }
    ssize_t r = read(0, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { free(buf); return 1; }
    if (r == 0) break;
    len += (size_t)r;
  }
  if (len == 0 || buf[len - 1] != '\0') { free(buf); fprintf(stderr, "seccomp-bpf: input must be NUL-terminated strings\n"); return 1; }
  int n = 0;
  for (size_t i = 0; i < len; i++) n += buf[i] == '\0';
  char **args = calloc((size_t)n, sizeof *args);
  if (!args) { free(buf); return 1; }
  for (size_t i = 0, k = 0; i < len; k++) { args[k] = buf + i; i += strlen(buf + i) + 1; }
  scmp_filter_ctx ctx;
  int e = build(args, n, &ctx);
  if (!e) {
    e = -seccomp_export_bpf(ctx, 1);
    seccomp_release(ctx);
  }
  free(args);
  free(buf);
  if (e) fprintf(stderr, "seccomp-bpf: %s\n", strerror(e));
  return e ? 1 : 0;
}

static int hex(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

// The child op `seccomp`: args[0] is the compiled program in hex (from seccomp-bpf, via the engine's
// cache). Loading it needs no_new_privs or CAP_SYS_ADMIN; the plan orders the steps for either.
int op_seccomp(struct child_ctx *c, struct op *op) {
  (void)c;
  const char *h = op->args[0];
  size_t n = strlen(h);
  if (n == 0 || n % (2 * sizeof(struct sock_filter)) != 0 || n / 2 / sizeof(struct sock_filter) > BPF_MAXINSNS) return EINVAL;
  unsigned char *prog = malloc(n / 2);
  if (!prog) return ENOMEM;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hex(h[2 * i]), lo = hex(h[2 * i + 1]);
    if (hi < 0 || lo < 0) { free(prog); return EINVAL; }
    prog[i] = (unsigned char)(hi << 4 | lo);
  }
  struct sock_fprog fprog = {.len = (unsigned short)(n / 2 / sizeof(struct sock_filter)), .filter = (struct sock_filter *)(void *)prog};
  int r = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog);
  int e = r ? last_errno() : 0;
  free(prog);
  return e;
}
