// The flags of `run` and `create`, as Docker spells them. Declared once, used by both verbs in both
// grammars (`skiff run`, `skiff container run`, `skiff create`, `skiff container create`).
import { Option, type Command } from 'commander';
import type { RunFlags } from '../../engine/run-flags.js';

export type { RunFlags };

const collect = (v: string, all: string[] = []): string[] => [...all, v];


export function addRunOptions(cmd: Command, verb: 'run' | 'create'): Command {
  if (verb === 'run') cmd.option('-d, --detach', 'run the container in the background and print its ID');
  return cmd
    .option('-i, --interactive', 'keep STDIN open')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('--rm', 'remove the container when it exits')
    .option('--name <name>', 'assign a name to the container')
    .option('-p, --publish <spec>', 'publish a container\'s port to the host (HOST:CONTAINER)', collect)
    .option('-P, --publish-all', 'publish all exposed ports to random host ports')
    .option('-v, --volume <spec>', 'bind mount a volume (SRC:DST[:ro])', collect)
    .option('-e, --env <var>', 'set an environment variable', collect)
    .option('--env-file <file>', 'read environment variables from a file', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .option('--entrypoint <cmd>', 'overwrite the default ENTRYPOINT of the image')
    .addOption(new Option('-h, --hostname <name>', 'container host name'))
    .option('--network <mode>', 'connect a container to a network (bridge, host, none)', 'bridge')
    .option('-m, --memory <bytes>', 'memory limit')
    .option('--memory-swap <bytes>', 'swap limit equal to memory plus swap: -1 for unlimited')
    .option('--cpus <n>', 'number of CPUs')
    .option('-c, --cpu-shares <n>', 'CPU shares (relative weight)')
    .option('--pids-limit <n>', 'tune container pids limit (-1 for unlimited)')
    .option('--security-opt <opt>', 'security options: seccomp=unconfined|PROFILE.json, no-new-privileges[=true|false]', collect)
    .option('--cap-add <cap>', 'add a Linux capability (NET_ADMIN, CAP_SYS_TIME, ALL …)', collect)
    .option('--cap-drop <cap>', 'drop a Linux capability (ALL drops every one)', collect)
    .option('--privileged', 'give the container every capability, every host device, no seccomp filter: root-equivalent on the host')
    .option('--read-only', 'mount the container\'s root filesystem as read only')
    .option('--device <spec>', 'add a host device to the container (HOST[:CONTAINER[:PERMS]])', collect)
    .option('--cpuset-cpus <list>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--init', 'run an init inside the container that forwards signals and reaps processes')
    .option('--restart <policy>', 'restart policy: no, on-failure[:N], always, unless-stopped', 'no')
    .option('--platform <os/arch>', 'set platform if server is multi-platform capable')
    .option('--pull <when>', 'pull image before running: always, missing, never', 'missing')
    .option('--detach-keys <keys>', 'override the key sequence for detaching a container')
    .helpOption('--help', 'display help for command')
    .passThroughOptions();
}
