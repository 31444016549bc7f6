// The one number parser of the launcher: every count, id, flag word and mode in a plan goes through
// parse_u64, which accepts digits only (no sign, no spaces, no "0x", no trailing junk) and a maximum,
// so a garbled plan is an EINVAL at the step that carries it, never a silently wrong value.
#include <errno.h>
#include <stdint.h>
#include "runtime.h"

int parse_u64(const char *s, int base, uint64_t max, uint64_t *out) {
  if (!s || !*s || (base != 8 && base != 10)) return EINVAL;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p >= '0' + base) return EINVAL;
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / (uint64_t)base) return ERANGE;
    v = v * (uint64_t)base + d;
  }
  if (v > max) return ERANGE;
  *out = v;
  return 0;
}
