// How to run skiff itself again (for the exit command skiff-runtime runs when a detached container
// ends): the same node and the same CLI bundle this process was started with.
export function cliInvocation(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1] ?? ''];
}
