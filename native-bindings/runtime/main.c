// skiff-runtime entry: one subcommand per job.
//   launch                 run the plan on fd 3, report on fd 4, take "go"/"abort" on fd 5
//   enter PIDFILE PROG...  join skiff's rootless engine namespace (held by PIDFILE's process), exec PROG
//   ops                    print the op table (name, role, arity) for the test that compares it with plan.ts
#include <stdio.h>
#include <string.h>
#include "runtime.h"

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "launch") == 0) return cmd_launch();
  if (argc >= 4 && strcmp(argv[1], "enter") == 0) return cmd_enter(argc - 2, argv + 2);
  if (argc == 2 && strcmp(argv[1], "ops") == 0) return cmd_ops();
  fprintf(stderr, "skiff-runtime: internal helper of skiff; usage: skiff-runtime launch | enter PIDFILE PROG [ARGS...] | ops\n");
  return 2;
}
