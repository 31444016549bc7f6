// skiff-init: `--init`'s pid 1 (like Docker's tini-based docker-init). A shell or server that runs as
// pid 1 neither reaps orphaned zombies nor gets default signal handling (the kernel ignores signals
// pid 1 has no handler for). This one forwards signals to its child, reaps every zombie, and exits
// with the child's status. Static, so it runs in any image. No policy: it only runs argv.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "--") == 0) first = 2;
  if (first >= argc) {
    fprintf(stderr, "skiff-init: usage: skiff-init -- COMMAND [ARG...]\n");
    return 2;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) { perror("skiff-init: fork"); return 1; }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    setpgid(0, 0);
    execvp(argv[first], argv + first);
    fprintf(stderr, "skiff-init: exec %s: %s\n", argv[first], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
      if (w == child) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }
}
