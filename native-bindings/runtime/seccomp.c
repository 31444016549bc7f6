// The child step `seccomp`: compile the filter TypeScript selected (src/spawn/seccomp.ts encodes the
// OCI linux.seccomp as plan arguments) with libseccomp and load it. No policy here: which calls are
// allowed, for which arch, with which argument conditions, all comes from the plan.
// Arguments: defaultAction, defaultErrno ("-" if none), "arch,arch…", then one rule per argument:
// "ACTION ERRNO name,name… [index:OP:value:valueTwo …]".
#include <ctype.h>
#include <errno.h>
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

int op_seccomp(struct child_ctx *c, struct op *op) {
  (void)c;
  char **a = op->args;
  int n = op->nargs;
  if (n < 3) return EINVAL;
  uint32_t def;
  if (parse_action(a[0], a[1], &def)) return EINVAL;
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) return ENOMEM;
  int e = 0;
  // no_new_privs is the plan's own step (or deliberately absent, with CAP_SYS_ADMIN still held): libseccomp must not set it.
  if ((e = -seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0))) goto out;
  char arches[256];
  if (strlen(a[2]) >= sizeof arches) { e = EINVAL; goto out; }
  strcpy(arches, a[2]);
  char *save = NULL;
  for (char *arch = strtok_r(arches, ",", &save); arch; arch = strtok_r(NULL, ",", &save)) {
    // "SCMP_ARCH_X86_64" → libseccomp's "x86_64"
    char *lower = arch + (strncmp(arch, "SCMP_ARCH_", 10) ? 0 : 10);
    for (char *q = lower; *q; q++) *q = (char)tolower((unsigned char)*q);
    uint32_t token = seccomp_arch_resolve_name(lower);
    if (!token) { e = EINVAL; goto out; }
    int r = seccomp_arch_add(ctx, token);
    if (r != 0 && r != -EEXIST) { e = -r; goto out; }
  }
  for (int i = 3; i < n; i++) {
    char *rule = strdup(a[i]);
    if (!rule) { e = ENOMEM; goto out; }
    e = add_rule(ctx, def, rule);
    free(rule);
    if (e) goto out;
  }
  e = -seccomp_load(ctx);
out:
  seccomp_release(ctx);
  return e;
}
