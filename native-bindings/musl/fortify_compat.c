// glibc's checked fprintf, for Debian's libseccomp.a (built against glibc with _FORTIFY_SOURCE) when it is
// linked into the musl build of skiff-runtime: libseccomp calls it only to print a filter as text
// (seccomp_export_pfc), which skiff never does. The check it stands for is glibc's %n-in-writable-format
// refusal; musl's vfprintf is what runs, as it would for a libseccomp built against musl.
#include <stdarg.h>
#include <stdio.h>

int __fprintf_chk(FILE *stream, int flag, const char *format, ...);

int __fprintf_chk(FILE *stream, int flag, const char *format, ...) {
  (void)flag;
  va_list ap;
  va_start(ap, format);
  int n = vfprintf(stream, format, ap);
  va_end(ap);
  return n;
}
