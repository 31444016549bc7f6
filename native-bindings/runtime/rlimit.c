// The child step `rlimit`: set one resource limit (number, soft, hard) for the container's process,
// e.g. RLIMIT_NPROC where no pids cgroup can cap the container. Values come from the plan.
#include <errno.h>
#include <sys/resource.h>
#include "runtime.h"

int op_rlimit(char **a, int n) {
  if (n != 3) return EINVAL;
  int ok1, ok2, ok3;
  unsigned long res = parse_ulong(a[0], 10, &ok1), soft = parse_ulong(a[1], 10, &ok2), hard = parse_ulong(a[2], 10, &ok3);
  if (!ok1 || !ok2 || !ok3 || res >= RLIM_NLIMITS || soft > hard) return EINVAL;
  struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
  return setrlimit((int)res, &rl) ? errno : 0;
}
