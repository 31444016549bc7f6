// The child op `rlimit`: set one resource limit (number, soft, hard) for the container's process, e.g.
// RLIMIT_NPROC where no pids cgroup can cap the container. The values come from the plan.
#include <errno.h>
#include <sys/resource.h>
#include "ops.h"

int op_rlimit(struct child_ctx *c, struct op *op) {
  (void)c;
  uint64_t res, soft, hard;
  int e = parse_u64(op->args[0], 10, RLIM_NLIMITS - 1, &res);
  if (!e) e = parse_u64(op->args[1], 10, RLIM_INFINITY, &soft);
  if (!e) e = parse_u64(op->args[2], 10, RLIM_INFINITY, &hard);
  if (e) return e;
  if (soft > hard) return EINVAL;
  struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
  return setrlimit((int)res, &rl) ? last_errno() : 0;
}
