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
    .option('-a, --attach <stream>', 'attach to STDIN, STDOUT or STDERR', collect)
    .option('--sig-proxy [bool]', 'proxy received signals to the process (true by default)')
    .option('--mount <spec>', 'attach a filesystem mount: type=bind|volume|tmpfs,source=…,target=…[,readonly]', collect)
    .option('--tmpfs <path>', 'mount a tmpfs directory (PATH[:size=64m,mode=1777,…])', collect)
    .option('--add-host <host:ip>', 'add a custom host-to-IP mapping (host:ip; host-gateway for the host)', collect)
    .option('--dns <ip>', 'set custom DNS servers', collect)
    .option('--dns-search <domain>', 'set custom DNS search domains', collect)
    .option('--dns-option <opt>', 'set DNS options', collect)
    .option('-l, --label <key=value>', 'set meta data on a container', collect)
    .option('--label-file <file>', 'read in a line delimited file of labels', collect)
    .option('--ulimit <name=soft[:hard]>', 'ulimit options (nofile=1024:2048, nproc, core, …)', collect)
    .option('--stop-signal <signal>', 'signal to stop the container (SIGTERM by default)')
    .option('--stop-timeout <seconds>', 'timeout (in seconds) to stop a container')
    .option('--expose <port>', 'expose a port or a range of ports', collect)
    .option('--health-cmd <cmd>', 'command to run to check health')
    .option('--health-interval <duration>', 'time between running the check (ms|s|m|h) (default 30s)')
    .option('--health-retries <n>', 'consecutive failures needed to report unhealthy')
    .option('--health-timeout <duration>', 'maximum time to allow one check to run (ms|s|m|h) (default 30s)')
    .option('--health-start-period <duration>', 'start period for the container to initialize before failures count (ms|s|m|h)')
    .option('--no-healthcheck', 'disable any container-specified HEALTHCHECK')
    .option('--log-driver <driver>', 'logging driver for the container: json-file or none')
    .option('--log-opt <opt>', 'log driver options: max-size=10m, max-file=3', collect)
    .option('--cidfile <file>', 'write the container ID to the file')
    .option('--domainname <name>', 'container NIS domain name')
    .option('--group-add <group>', 'add additional groups to join', collect)
    .option('--oom-kill-disable', 'disable OOM killer')
    .option('--shm-size <bytes>', 'size of /dev/shm (default 64m)')
    .helpOption('--help', 'display help for command')
    .passThroughOptions();
}
