// skiff-runtime: executes launch plans built by TypeScript (work in progress).
#include <stdio.h>
#include "runtime.h"
int main(int argc, char **argv) {
  (void)argv;
  if (argc < 2) { fprintf(stderr, "usage: skiff-runtime <launch|enter|exec> ...\n"); return 2; }
  return 2;
}
