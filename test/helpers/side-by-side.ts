// The side-by-side comparison with a real Docker, shared by its two front doors: Debian's dockerd 20.10
// (test/helpers/dockerd.ts) driven by the docker 28 CLI on one side; on the other, skiff — through its own
// CLI (test/e2e/docker-side-by-side.test.ts) or through the same docker CLI talking to `skiff system
// service` (test/e2e/docker-api-side-by-side.test.ts). Both engines get the lab images (`skiff save` →
// `docker load`), the same fixtures, then every case below: the chapter's commands and the verbs, flags
// and bad inputs a user reaches for next. Ids, times and addresses are normalised; stdout, stderr and the
// exit code must then be the same. The cases that differ on purpose say so in `differs` (one line why, and
// what must still match) — for skiff's CLI — and in `api` for the docker CLI through skiff's API, where
// the CLI-side differences (skiff's own messages and hints) are gone but the engine's remain.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needFile, needRoot, type Condition } from './conditions.js';
import { assertSuiteNetns } from './netns.js';
import { SKIFF, tempStore, type Store } from './skiff.js';
import { DOCKERD, startDockerd, type Dockerd } from './dockerd.js';
import { startService, type Service } from './api-service.js';

export const DOCKER = '/usr/local/bin/docker';
export const sideBySideConds: Condition[] = [needRoot, needFile(DOCKER), needFile(DOCKERD), needCommand('containerd'), needCommand('runc')];
const IMAGES = ['diamol/base', 'diamol/ch02-hello-diamol', 'diamol/ch02-hello-diamol-web', 'httpd:2.4.71', 'nginx:1.28.0'];

type Side = 'docker' | 'skiff';
interface Out { status: number | null; stdout: string; stderr: string }
type Exec = (args: string[], input?: string, timeoutMs?: number) => Out;
/** What a custom case gets: its engine's CLI, which engine it is, a scratch dir of that side, and its network namespace (dockerd's own; skiff's is the suite's). */
interface Ctx { cli: Exec; side: Side; tmp: string; netns?: string }
type Part = 'status' | 'stdout' | 'stderr';
interface Differs { reason: string; same: Part[] }

interface Case {
  name: string;
  /** The command after `docker` / `skiff`. */
  args?: string[];
  /** Or a custom probe (several commands, files on the host). */
  run?: (c: Ctx) => Out;
  input?: string;
  /** How long the client may take before it is killed (default 180 s: loaded runs are slow). A case whose
   *  client may wait forever on one side (stdin that never reaches the container) sets it short. */
  timeoutMs?: number;
  /** Run on both engines first; each must succeed. */
  before?: string[][];
  /** Run on both engines afterwards; failures are ignored. */
  after?: string[][];
  /** The daemon's order is not defined (equal creation times): compare stdout's lines sorted. */
  sort?: boolean;
  /** Extra normalisation for this case (pids, sizes that depend on the store). */
  norm?: (s: string) => string;
  /** A difference on purpose: why, and the parts that must still be the same. */
  differs?: Differs;
  /** skiff prints docker's message, then its own hint (`. <hint>`): skiff's stderr must start with docker's. */
  hint?: boolean;
  /**
   * Through skiff's API (the docker CLI on both sides): 'same' when the difference above was the CLI's
   * own, or the difference that remains, with its reason. Absent: as `differs`. Hints never reach the
   * docker CLI (moby's messages carry none), so `hint` does not apply there.
   */
  api?: 'same' | Differs;
}

/** Ids, times, addresses and the client's own name, so both engines' outputs can be compared. */
function normalise(text: string, client: Side): string {
  let s = text;
  if (client === 'docker') {
    // The docker CLI's error prefixes (skiff's is `skiff:`: docs/docker-compatibility.md).
    // `docker run`'s own failures end with a pointer to its help; skiff's say what to do instead.
    if (s.startsWith('docker: ')) s = s.replace(/\n\nRun 'docker (container )?(run|create) --help' for more information\n$/, '\n');
    s = s.replace(/^(docker: )?(Error response from daemon: |Error: )?/gm, '');
  } else {
    s = s.replace(/^skiff: /gm, '').replace(/\bskiff\b/g, 'docker');
  }
  return s
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/\b[0-9a-f]{64}\b/g, '<ID>')
    .replace(/\b[0-9a-f]{12}\b/g, '<id>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<time>')
    .replace(/\b(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes?|hours?))\b/g, '<dur>')
    .replace(/\b172\.(1[6-9]|2\d|3[01])\.\d+\.\d+\b/g, '<ip>')
    .replace(/\b10\.\d+\.\d+\.\d+\b/g, '<ip>');
}

/** The state every case starts from, made the same way on both engines. */
/** The state every case starts from, made the same way on both engines. */
const FIXTURES: string[][] = [
  ['run', '--name', 'fg', 'diamol/ch02-hello-diamol'],
  ['create', '--name', 'stopped', 'diamol/base', 'true'],
  ['create', '--name', 'other', 'diamol/base', 'true'],
  ['run', '--name', 'three', 'diamol/base', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
  ['run', '--name', 'changer', 'diamol/base', 'sh', '-c', 'mkdir /data; echo hi > /data/f; touch /tmp/x'],
  ['run', '-d', '--name', 'sleeper', '--label', 'tier=back', 'diamol/base', 'sleep', '3600'],
  ['run', '-d', '--name', 'web', '-p', '8088:80', 'diamol/ch02-hello-diamol-web'],
];

/** A shell pipeline's worth of work on the host: list a tar's names, sorted. */
function tarNames(file: string): string {
  return spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l && !l.startsWith('./')).sort().join('\n') + '\n';
}

// The pids, and the padding after them: both engines pad columns to the widest real pid, whose digits differ.
// pids differ, and so may STIME: the two sleepers start seconds apart and a minute can turn between them
const topPids = (s: string) => s.replace(/^(\S+\s+)\d+\s+\d+\s+(\d+\s+)\d\d:\d\d/gm, '$1<pid> <pid> $2<stime>');

const CASES: Case[] = [
  // ── usage errors (the docker CLI's own, with a daemon this time) ──
  { name: 'rm without arguments', args: ['rm'] },
  { name: 'rename with one argument', args: ['rename', 'a'] },
  { name: 'ps with an argument', args: ['ps', 'x'] },
  { name: 'unknown flag', args: ['ps', '--bogus'] },
  { name: 'unknown shorthand flag', args: ['images', '-x'] },
  { name: 'flag without its value', args: ['ps', '--format'] },
  { name: 'unknown command', args: ['frobnicate'] },
  { name: 'run without an image', args: ['run'] },
  { name: 'run with an unknown flag', args: ['run', '--no-such-flag', 'diamol/base'] },
  { name: 'exec without a command', args: ['exec', 'sleeper'] },
  // ── missing objects ──
  { name: 'rmi of a missing image', args: ['rmi', 'no/such-image'], hint: true },
  { name: 'inspect of nothing', args: ['inspect', 'nope'] },
  { name: 'inspect --type of an unknown type', args: ['inspect', '--type', 'box', 'x'], differs: { reason: 'docker lists its swarm and plugin types too; skiff has the four it has, and a hint', same: ['status', 'stdout'] }, api: 'same' },
  { name: 'container inspect of a missing container', args: ['container', 'inspect', 'nope'] },
  { name: 'image inspect of a missing image', args: ['image', 'inspect', 'no/such-image'], differs: { reason: 'docker 28\'s CLI against dockerd 20.10 says it twice ("no such image: x: No such image: x:latest")', same: ['status', 'stdout'] } },
  { name: 'volume inspect of a missing volume', args: ['volume', 'inspect', 'nope'] },
  { name: 'network inspect of a missing network', args: ['network', 'inspect', 'nope'] },
  { name: 'logs of a missing container', args: ['logs', 'nope'] },
  { name: 'exec into a missing container', args: ['exec', 'nope', 'true'] },
  { name: 'start of a missing container', args: ['start', 'nope'], differs: { reason: 'docker 28 adds a summary line "failed to start containers: nope"', same: ['status', 'stdout'] }, api: 'same' },
  { name: 'stop of a missing container', args: ['stop', 'nope'] },
  { name: 'kill of a missing container', args: ['kill', 'nope'] },
  { name: 'rm of a missing container', args: ['rm', 'nope'] },
  { name: 'wait for a missing container', args: ['wait', 'nope'] },
  { name: 'top of a missing container', args: ['top', 'nope'] },
  { name: 'port of a missing container', args: ['port', 'nope'] },
  { name: 'diff of a missing container', args: ['diff', 'nope'] },
  { name: 'history of a missing image', args: ['history', 'no/such-image'], hint: true },
  { name: 'tag of a missing image', args: ['tag', 'no/such-image', 'x:1'], hint: true },
  { name: 'volume rm of a missing volume', args: ['volume', 'rm', 'nope'], hint: true },
  { name: 'volume rm -f of a missing volume', args: ['volume', 'rm', '-f', 'nope'] },
  { name: 'network rm of a missing network', args: ['network', 'rm', 'nope'], differs: { reason: 'docker 28\'s CLI adds a line "exit status 1"; skiff a hint', same: ['status', 'stdout'] }, api: 'same' },
  {
    name: 'run of an image that is not here (offline)', args: ['run', 'no/such-image'],
    differs: { reason: 'the offline registry error is each engine\'s own (DNS lookup vs skiff\'s lab-mirror hint)', same: ['status', 'stdout'] },
  },
  {
    name: 'pull of a tag that is not there (offline)', args: ['pull', 'diamol/base:no-such-tag'],
    differs: { reason: 'dockerd cannot reach Docker Hub; skiff says which tags its lab mirror has', same: ['status'] },
  },
  {
    name: 'search offline', args: ['search', 'nginx'],
    differs: { reason: 'dockerd\'s DNS error vs skiff\'s "no image index to search" line', same: ['status', 'stdout'] },
  },
  // ── state conflicts ──
  { name: 'exec into a stopped container', args: ['exec', 'stopped', 'true'], hint: true, differs: { reason: 'skiff names the container by its short id and adds how to start it', same: ['status', 'stdout'] }, api: 'same' },
  { name: 'top of a stopped container', args: ['top', 'stopped'], hint: true, differs: { reason: 'skiff says "container" in lower case and adds how to start it', same: ['status', 'stdout'] }, api: 'same' },
  { name: 'pause of a stopped container', args: ['pause', 'stopped'], hint: true },
  { name: 'unpause of a running container', args: ['unpause', 'sleeper'] },
  { name: 'kill of a stopped container', args: ['kill', 'stopped'], hint: true },
  { name: 'rename onto a name in use', args: ['rename', 'stopped', 'other'], differs: { reason: 'docker 28 wraps the daemon\'s conflict in "Error when allocating new name" and adds "failed to rename"', same: ['status', 'stdout'] } },
  { name: 'create with a name in use', args: ['create', '--name', 'stopped', 'diamol/base', 'true'] },
  { name: 'run with a name in use', args: ['run', '--name', 'stopped', 'diamol/base', 'true'] },
  {
    name: 'rm of a running container', args: ['rm', 'sleeper'],
    differs: { reason: 'skiff uses Docker 25+\'s sentence (dockerd 20.10 has the older one) and adds a hint', same: ['status', 'stdout'] },
  },
  { name: 'run with a bad restart policy', args: ['run', '--restart', 'sometimes', 'diamol/base', 'true'], hint: true },
  { name: 'run with an invalid flag value', args: ['run', '--shm-size', 'lots', 'diamol/base', 'true'] },
  { name: 'create with a client-side flag error', args: ['create', '--expose', 'x', 'diamol/base', 'true'], hint: true },
  // What the daemon refuses (not the docker CLI's flag parser): `create` exits 1 for it, `run` 125.
  { name: 'create with a name the daemon refuses', args: ['create', '--name', 'a b', 'diamol/base', 'true'], hint: true },
  { name: 'run with a name the daemon refuses', args: ['run', '--name', 'a b', 'diamol/base', 'true'], hint: true },
  { name: 'create -v onto /', args: ['create', '-v', '/tmp:/', 'diamol/base', 'true'], hint: true },
  { name: 'create --mount of a bind source that is not there', args: ['create', '--mount', 'type=bind,src=/no/such/dir,dst=/x', 'diamol/base', 'true'], hint: true },
  { name: 'run --mount of a bind source that is not there', args: ['run', '--mount', 'type=bind,src=/no/such/dir,dst=/x', 'diamol/base', 'true'], hint: true },
  { name: 'create --mount volume-opt with a key the local driver does not have', args: ['create', '--mount', 'type=volume,src=mvbad2,dst=/t,volume-opt=foo=bar', 'diamol/base', 'true'], hint: true, after: [['volume', 'rm', 'mvbad2']] },
  // ── exit codes of what runs ──
  { name: 'run: the command\'s exit code', args: ['run', '--rm', 'diamol/base', 'sh', '-c', 'exit 3'] },
  { name: 'run of a program that is not there', args: ['run', '--rm', 'diamol/base', '/no/such/program'], differs: { reason: 'the OCI runtime\'s error text is runc\'s vs skiff\'s', same: ['status', 'stdout'] } },
  { name: 'run of a directory', args: ['run', '--rm', 'diamol/base', '/etc'], differs: { reason: 'the OCI runtime\'s error text is runc\'s vs skiff\'s', same: ['status', 'stdout'] } },
  {
    name: 'exec of a program that is not there', args: ['exec', 'sleeper', '/no/such/program'],
    differs: { reason: 'dockerd 20.10 exits 126 with runc\'s text on stdout; skiff 127 as Docker 25+ does, its own line on stderr', same: [] },
  },
  { name: 'exec: the command\'s exit code and both streams', args: ['exec', 'sleeper', 'sh', '-c', 'echo o; echo e >&2; exit 4'] },
  // ── the chapter ──
  { name: 'chapter: container run of the hello image', args: ['container', 'run', '--rm', 'diamol/ch02-hello-diamol'] },
  { name: 'chapter: logs after a foreground run', args: ['container', 'logs', 'fg'] },
  { name: 'chapter: container ls', args: ['container', 'ls'], differs: { reason: 'dockerd 20.10 publishes on [::] too; skiff on IPv4 only', same: ['status', 'stderr'] } },
  { name: 'chapter: container ls --all', args: ['container', 'ls', '--all', '--format', '{{.Names}}\t{{.Image}}\t{{.Command}}\t{{.Status}}'] },
  { name: 'chapter: container top', args: ['container', 'top', 'sleeper'], norm: topPids },
  { name: 'chapter: container inspect --format', args: ['container', 'inspect', '--format', '{{.Name}} {{.State.Status}} {{.State.Running}} {{.Config.Image}} {{json .Config.Cmd}}', 'sleeper'] },
  { name: 'chapter: container stats --no-stream --format', args: ['container', 'stats', '--no-stream', '--format', '{{.Name}}', 'sleeper', 'web'] },
  { name: 'chapter: exec into the web container', args: ['exec', 'web', 'sh', '-c', 'ls /usr/local/apache2/htdocs'] },
  // ── logs ──
  { name: 'logs: stdout and stderr of an exited container', args: ['logs', 'three'] },
  { name: 'logs --tail', args: ['logs', '--tail', '2', 'fg'] },
  { name: 'logs of a detached container', run: ({ cli }) => {
    const r = cli(['run', '-d', '--name', 'det', 'diamol/base', 'sh', '-c', 'echo detached']);
    if (r.status !== 0) return r;
    cli(['wait', 'det']);
    return cli(['logs', 'det']);
  }, after: [['rm', '-f', 'det']] },
  // ── ps ──
  { name: 'ps -a -q counts every container', run: ({ cli }) => { const r = cli(['ps', '-a', '-q']); return { ...r, stdout: `${r.stdout.trim().split('\n').length}\n` }; } },
  { name: 'ps -n 2', args: ['ps', '-a', '-n', '2', '--format', '{{.Names}}'] },
  { name: 'ps -l', args: ['ps', '-l', '--format', '{{.Names}} {{.Status}}'] },
  { name: 'ps --filter status=exited', args: ['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}}'] },
  { name: 'ps --filter status=created', args: ['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}}'] },
  { name: 'ps --filter name=', args: ['ps', '--filter', 'name=sleep', '--format', '{{.Names}}'] },
  { name: 'ps --filter label=', args: ['ps', '-a', '--filter', 'label=tier=back', '--format', '{{.Names}} {{.Labels}}'] },
  { name: 'ps --filter exited=3', args: ['ps', '-a', '--filter', 'exited=3', '--format', '{{.Names}} {{.Status}}'] },
  { name: 'ps --filter ancestor=', args: ['ps', '-a', '--filter', 'ancestor=diamol/ch02-hello-diamol', '--format', '{{.Names}}'] },
  { name: 'ps --no-trunc --format .ID is 64 hex', args: ['ps', '--no-trunc', '--filter', 'name=sleeper', '--format', '{{.ID}} {{.Command}}'] },
  // ── images ──
  { name: 'images', args: ['images'], sort: true },
  { name: 'images --format', args: ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'], sort: true },
  { name: 'images -q', args: ['images', '-q'], sort: true },
  { name: 'images of one repository', args: ['images', 'diamol/base'] },
  { name: 'image inspect --format', args: ['image', 'inspect', '-f', '{{json .Config.Cmd}} {{.Os}} {{.Architecture}}', 'diamol/ch02-hello-diamol'] },
  { name: 'history --format', args: ['history', '--format', '{{.CreatedBy}}|{{.Size}}', 'diamol/base'] },
  { name: 'tag and rmi', run: ({ cli }) => { const t = cli(['tag', 'diamol/base', 'mybase:1']); if (t.status !== 0) return t; return cli(['rmi', 'mybase:1']); } },
  // ── inspect templates ──
  { name: 'inspect -f with range over labels', args: ['inspect', '-f', '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', 'sleeper'] },
  { name: 'inspect -f of an exited container', args: ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', 'three'] },
  { name: 'inspect --type image', args: ['inspect', '--type', 'image', '-f', '{{.RepoTags}}', 'diamol/base'] },
  { name: 'inspect of two objects, one missing', args: ['inspect', '-f', '{{.Name}}', 'sleeper', 'nope'] },
  { name: 'inspect -f of a struct', args: ['inspect', '-f', '{{.HostConfig.PortBindings}}', 'web'], differs: { reason: 'Go prints typed structs as {values}; skiff\'s templates see JSON objects (map[…])', same: ['status', 'stderr'] }, api: 'same' },
  // ── run flags ──
  { name: 'run -e, -w, --hostname, --entrypoint', args: ['run', '--rm', '-e', 'A=1', '-w', '/tmp', '--hostname', 'box', '--entrypoint', 'sh', 'diamol/base', '-c', 'echo $A $(pwd) $(hostname) $HOME'] },
  { name: 'run -u uid:gid', args: ['run', '--rm', '-u', '1000:1000', 'diamol/base', 'id'] },
  { name: 'run --read-only', args: ['run', '--rm', '--read-only', 'diamol/base', 'touch', '/x'] },
  { name: 'run -i with stdin', args: ['run', '--rm', '-i', '--name', 'stdin-case', 'diamol/base', 'cat'], after: [['rm', '-f', 'stdin-case']], input: 'abc\n', timeoutMs: 30_000, api: { reason: 'stdin without a tty does not reach a container started through the API (docs/engine-api.md): cat waits until the client is killed', same: [] } },
  { name: 'run -t without a terminal', args: ['run', '--rm', '-t', 'diamol/base', 'echo', 'hi'], api: { reason: 'with a tty, attach reads the supervisor\'s socket once the container runs: what it printed before is not replayed (docs/engine-api.md)', same: ['status', 'stderr'] } },
  { name: 'run --cap-add, --cap-drop', args: ['run', '--rm', '--network', 'none', '--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN', 'diamol/base', 'sh', '-c', 'ip addr add 10.99.0.1/32 dev lo && echo added; touch /f; chown 1 /f'] },
  { name: 'run --cap-add of an unknown capability', args: ['run', '--rm', '--cap-add', 'BOGUS', 'diamol/base', 'true'], hint: true },
  { name: 'run --add-host', args: ['run', '--rm', '--add-host', 'db:1.2.3.4', 'diamol/base', 'grep', '-w', 'db', '/etc/hosts'] },
  { name: 'run --ulimit', args: ['run', '--rm', '--ulimit', 'nofile=100:200', 'diamol/base', 'sh', '-c', 'ulimit -n; ulimit -Hn'] },
  { name: 'run --tmpfs', args: ['run', '--rm', '--tmpfs', '/scratch', 'diamol/base', 'sh', '-c', 'echo x > /scratch/f && cat /scratch/f'] },
  { name: 'run -v volume', args: ['run', '--rm', '-v', 'vol1:/v', 'diamol/base', 'sh', '-c', 'echo x > /v/f; ls /v'], after: [['volume', 'rm', 'vol1']] },
  { name: 'run --label and inspect', run: ({ cli }) => {
    const r = cli(['run', '--name', 'lab', '--label', 'a=1', '--label', 'b=2', 'diamol/base', 'true']);
    if (r.status !== 0) return r;
    return cli(['inspect', '-f', '{{json .Config.Labels}}', 'lab']);
  }, after: [['rm', 'lab']] },
  // ── lifecycle verbs ──
  { name: 'wait prints the exit code', args: ['wait', 'three'] },
  { name: 'stop, start, restart print their argument', run: ({ cli }) => {
    const outs = [['create', '--name', 'lc', 'diamol/base', 'sleep', '60'], ['start', 'lc'], ['restart', '-t', '0', 'lc'], ['stop', '-t', '0', 'lc'], ['rm', 'lc']].map((a) => cli(a));
    return { status: Math.max(...outs.map((o) => o.status ?? 255)), stdout: outs.slice(1).map((o) => o.stdout).join(''), stderr: outs.map((o) => o.stderr).join('') };
  } },
  { name: 'pause and unpause', run: ({ cli }) => {
    const p = cli(['pause', 'sleeper']);
    const st = cli(['ps', '--filter', 'name=sleeper', '--format', '{{.Status}}']);
    const u = cli(['unpause', 'sleeper']);
    return { status: Math.max(p.status ?? 255, u.status ?? 255), stdout: p.stdout + st.stdout + u.stdout, stderr: p.stderr + u.stderr };
  } },
  { name: 'rename and back', run: ({ cli }) => {
    const a = cli(['rename', 'other', 'other2']);
    const ls = cli(['ps', '-a', '--filter', 'name=other', '--format', '{{.Names}}']);
    const b = cli(['rename', 'other2', 'other']);
    return { status: Math.max(a.status ?? 255, b.status ?? 255), stdout: a.stdout + ls.stdout + b.stdout, stderr: a.stderr + b.stderr };
  } },
  { name: 'port', args: ['port', 'web', '80'], differs: { reason: 'dockerd 20.10 publishes on [::] too; skiff on IPv4 only', same: ['status', 'stderr'] } },
  { name: 'port of a container with none', args: ['port', 'sleeper'] },
  // ── filesystem verbs ──
  { name: 'diff', args: ['diff', 'changer'], sort: true },
  { name: 'cp out of a container', run: ({ cli, tmp }) => {
    const r = cli(['cp', 'changer:/data', join(tmp, 'out')]);
    return { ...r, stdout: r.stdout + readFileSync(join(tmp, 'out', 'f'), 'utf8') };
  } },
  { name: 'cp into a container', run: ({ cli, tmp }) => {
    mkdirSync(join(tmp, 'in'), { recursive: true });
    writeFileSync(join(tmp, 'in', 'g'), 'into\n');
    const r = cli(['cp', join(tmp, 'in', 'g'), 'sleeper:/tmp/g']);
    const c = cli(['exec', 'sleeper', 'cat', '/tmp/g']);
    return { status: r.status, stdout: r.stdout + c.stdout, stderr: r.stderr + c.stderr };
  } },
  { name: 'cp of a path that is not there', args: ['cp', 'changer:/no/such', '/tmp'] },
  { name: 'export', run: ({ cli, tmp }) => {
    const r = cli(['export', '-o', join(tmp, 'changer.tar'), 'changer']);
    return { ...r, stdout: tarNames(join(tmp, 'changer.tar')).split('\n').filter((n) => n.startsWith('data') || n.startsWith('tmp')).join('\n') };
  } },
  { name: 'commit, then run the new image', run: ({ cli }) => {
    const c = cli(['commit', 'changer', 'img:c1']);
    const r = cli(['run', '--rm', 'img:c1', 'cat', '/data/f']);
    return { status: Math.max(c.status ?? 255, r.status ?? 255), stdout: c.stdout + r.stdout, stderr: c.stderr + r.stderr };
  }, after: [['rmi', 'img:c1']] },
  // ── volumes and networks ──
  { name: 'volume create, ls, inspect -f, rm', run: ({ cli }) => {
    const outs = [['volume', 'create', 'v1'], ['volume', 'ls', '--format', '{{.Name}} {{.Driver}}'], ['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}}', 'v1'], ['volume', 'rm', 'v1']].map((a) => cli(a));
    return { status: Math.max(...outs.map((o) => o.status ?? 255)), stdout: outs.map((o) => o.stdout).join(''), stderr: outs.map((o) => o.stderr).join('') };
  } },
  { name: 'network create, ls, inspect -f, rm', run: ({ cli }) => {
    const outs = [['network', 'create', 'n1'], ['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'], ['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}}', 'n1'], ['network', 'rm', 'n1']].map((a) => cli(a));
    return { status: Math.max(...outs.map((o) => o.status ?? 255)), stdout: outs.map((o) => o.stdout).join(''), stderr: outs.map((o) => o.stderr).join('') };
  } },
  { name: 'network rm of a pre-defined network', args: ['network', 'rm', 'bridge'], differs: { reason: 'docker 28\'s CLI adds a line "exit status 1"; skiff a hint', same: ['status', 'stdout'] }, api: 'same' },
  // ── events ──
  { name: 'events --filter container --since --until', args: ['events', '--since', '2h', '--until', '0s', '--filter', 'container=three', '--filter', 'event=create', '--filter', 'event=start', '--filter', 'event=die', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'] },
  { name: 'events --filter event=die', args: ['events', '--since', '2h', '--until', '0s', '--filter', 'event=die', '--filter', 'container=fg', '--format', '{{.Action}} {{.Actor.Attributes.exitCode}}'] },
  { name: 'events --format with the fields of Docker\'s Message', args: ['events', '--since', '2h', '--until', '0s', '--filter', 'container=three', '--filter', 'event=die', '--format', '{{.Status}} {{.ID}} {{.From}} {{.Type}} {{.Action}} {{.Scope}} {{.Actor.ID}} {{len .Actor.Attributes}}'] },
  { name: 'events of a commit (and of the run before it)', args: ['events', '--since', '2h', '--until', '0s', '--filter', 'container=changer', '--filter', 'event=create', '--filter', 'event=attach', '--filter', 'event=start', '--filter', 'event=die', '--filter', 'event=commit', '--format', '{{.Action}} {{.Actor.Attributes.imageRef}}'] },
  { name: 'events: one commit event a commit', args: ['events', '--since', '2h', '--until', '0s', '--filter', 'event=commit', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.imageRef}}'] },
  // moby's actions for `cp` out (archive-path) and in (extract-to-dir) and for `export`, from the cases above.
  { name: 'events of cp and export', args: ['events', '--since', '2h', '--until', '0s', '--filter', 'event=archive-path', '--filter', 'event=extract-to-dir', '--filter', 'event=export', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}}'] },

  // After the events cases: dockerd keeps its last 256 events only, and these make many (volume mount/unmount).
  // Docker's copy-up: a new volume takes what the image has at the target (content, owners, modes).
  { name: 'a new volume (-v) takes the image\'s content, owners and modes', before: [
    ['run', '--name', 'cusrc', 'diamol/base', 'sh', '-c', 'mkdir -p /data/sub && echo hi > /data/f && ln -s f /data/l && chown -R 1000:2000 /data && chmod 750 /data && chmod 640 /data/f'],
    ['commit', 'cusrc', 'cuimg'],
  ], run: ({ cli }) => {
    const a = cli(['run', '--rm', '-v', 'cuvol:/data', 'cuimg', 'sh', '-c', 'stat -c "%a %u %g %n" /data /data/f /data/sub; readlink /data/l; cat /data/f']);
    // Still there for the next container, which mounts it where the image has nothing.
    const b = cli(['run', '--rm', '-v', 'cuvol:/x', 'diamol/base', 'sh', '-c', 'stat -c "%a %u %g %n" /x /x/f']);
    return { status: Math.max(a.status ?? 255, b.status ?? 255), stdout: a.stdout + b.stdout, stderr: a.stderr + b.stderr };
  }, after: [['volume', 'rm', 'cuvol']] },
  { name: 'copy-up of --mount type=volume; volume-nocopy turns it off', run: ({ cli }) => {
    const a = cli(['run', '--rm', '--mount', 'type=volume,src=cuvol2,dst=/data', 'cuimg', 'stat', '-c', '%a %u %g %n', '/data', '/data/f']);
    const b = cli(['run', '--rm', '--mount', 'type=volume,src=cuvol3,dst=/data,volume-nocopy', 'cuimg', 'sh', '-c', 'ls -A /data; stat -c "%a %u %g %n" /data']);
    const c = cli(['run', '--rm', '-v', 'cuvol4:/data:nocopy', 'cuimg', 'sh', '-c', 'ls -A /data; stat -c "%a %u %g %n" /data']);
    return { status: Math.max(a.status ?? 255, b.status ?? 255, c.status ?? 255), stdout: a.stdout + b.stdout + c.stdout, stderr: a.stderr + b.stderr + c.stderr };
  }, after: [['volume', 'rm', 'cuvol2', 'cuvol3', 'cuvol4']] },
  { name: 'copy-up never overwrites a volume that has content; /tmp\'s mode comes along', run: ({ cli }) => {
    const a = cli(['run', '--rm', '-v', 'cuvol5:/x', 'diamol/base', 'touch', '/x/mine']);
    const b = cli(['run', '--rm', '-v', 'cuvol5:/data', 'cuimg', 'ls', '-A', '/data']);
    const c = cli(['run', '--rm', '-v', 'cuvol6:/tmp', 'diamol/base', 'stat', '-c', '%a %u %g', '/tmp']);
    return { status: Math.max(a.status ?? 255, b.status ?? 255, c.status ?? 255), stdout: a.stdout + b.stdout + c.stdout, stderr: a.stderr + b.stderr + c.stderr };
  }, after: [['volume', 'rm', 'cuvol5', 'cuvol6'], ['rm', 'cusrc'], ['rmi', 'cuimg']] },
  // The local driver's options, acted on.
  { name: 'volume create --opt type=tmpfs: a tmpfs of that size', run: ({ cli }) => {
    const a = cli(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'tv']);
    const b = cli(['run', '--rm', '-v', 'tv:/t', 'diamol/base', 'sh', '-c', 'df -k /t | awk \'NR==2 {print $1, $2}\'']);
    const i = cli(['volume', 'inspect', '-f', '{{json .Options}}', 'tv']);
    return { status: Math.max(a.status ?? 255, b.status ?? 255, i.status ?? 255), stdout: a.stdout + b.stdout + i.stdout, stderr: a.stderr + b.stderr + i.stderr };
  }, after: [['volume', 'rm', 'tv']] },
  { name: 'volume create --opt o=bind: the device is what the container sees', run: ({ cli, tmp }) => {
    mkdirSync(join(tmp, 'bdev'), { recursive: true });
    writeFileSync(join(tmp, 'bdev', 'f'), 'from the host\n');
    const a = cli(['volume', 'create', '--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${join(tmp, 'bdev')}`, 'bv']);
    const b = cli(['run', '--rm', '-v', 'bv:/b', 'diamol/base', 'sh', '-c', 'cat /b/f; echo back > /b/g']);
    return { status: Math.max(a.status ?? 255, b.status ?? 255), stdout: a.stdout + b.stdout + readFileSync(join(tmp, 'bdev', 'g'), 'utf8'), stderr: a.stderr + b.stderr };
  }, after: [['volume', 'rm', 'bv']] },
  { name: 'run --mount volume-opt: a tmpfs volume made on first use', args: ['run', '--rm', '--mount', 'type=volume,src=mvt,dst=/t,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"volume-opt=o=size=2m,uid=1000"', 'diamol/base', 'sh', '-c', 'df -k /t | awk \'NR==2 {print $1, $2}\'; stat -c %u /t'], after: [['volume', 'rm', 'mvt']] },
  { name: 'run --mount volume-opt with a key the local driver does not have', args: ['run', '--rm', '--mount', 'type=volume,src=mvbad,dst=/t,volume-opt=foo=bar', 'diamol/base', 'true'], hint: true, after: [['volume', 'rm', 'mvbad']] },
  { name: 'volume create --opt with a key the local driver does not have', args: ['volume', 'create', '--opt', 'foo=bar', 'vbad'], hint: true, after: [['volume', 'rm', 'vbad']] },
  // ── more run flags ──
  { name: 'run -p with ranges', run: ({ cli }) => {
    const r = cli(['run', '-d', '--name', 'ranged', '-p', '8090-8091:80-81', 'diamol/base', 'sleep', '600']);
    if (r.status !== 0) return r;
    return cli(['inspect', '-f', '{{json .HostConfig.PortBindings}} {{json .Config.ExposedPorts}}', 'ranged']);
  }, after: [['rm', '-f', 'ranged']] },
  { name: 'run --health-cmd: (healthy) in ps, .State.Health in inspect', run: ({ cli }) => {
    const r = cli(['run', '-d', '--name', 'hc', '--health-cmd', 'true', '--health-interval', '1s', 'diamol/base', 'sleep', '600']);
    if (r.status !== 0) return r;
    let st = cli(['ps', '--filter', 'name=hc', '--format', '{{.Status}}']);
    for (let i = 0; i < 100 && !st.stdout.includes('(healthy)'); i++) {
      spawnSync('sleep', ['0.1']);
      st = cli(['ps', '--filter', 'name=hc', '--format', '{{.Status}}']);
    }
    const h = cli(['inspect', '-f', '{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{json .Config.Healthcheck}}', 'hc']);
    return { status: h.status, stdout: st.stdout + h.stdout, stderr: st.stderr + h.stderr };
  }, after: [['rm', '-f', 'hc']] },
  { name: 'run --log-driver none, then logs', run: ({ cli }) => {
    const r = cli(['run', '--name', 'nolog', '--log-driver', 'none', 'diamol/base', 'echo', 'hi']);
    const l = cli(['logs', 'nolog']);
    return { status: l.status, stdout: r.stdout + l.stdout, stderr: r.stderr + l.stderr };
  }, hint: true, after: [['rm', 'nolog']], api: { reason: 'the API takes only the json-file log driver (a 400 naming LogConfig.Type=none): a foreground run\'s output is read from the log', same: ['status'] } },
  { name: 'run --mount type=tmpfs', args: ['run', '--rm', '--mount', 'type=tmpfs,target=/t', 'diamol/base', 'sh', '-c', 'echo x > /t/f; cat /t/f'] },
  { name: 'run --mount type=volume', args: ['run', '--rm', '--mount', 'type=volume,source=mvol,target=/m', 'diamol/base', 'ls', '-ld', '/m'], after: [['volume', 'rm', 'mvol']], norm: (s) => s.replace(/\w{3} +\d+ \d\d:\d\d/, '<date>') },
  { name: 'run --network host keeps the host\'s hostname', args: ['run', '--rm', '--network', 'host', 'diamol/base', 'hostname'] },
  { name: 'run --dns, --dns-search', args: ['run', '--rm', '--dns', '9.9.9.9', '--dns-search', 'example.com', 'diamol/base', 'cat', '/etc/resolv.conf'] },
  { name: 'run --domainname, -u, --group-add', args: ['run', '--rm', '--domainname', 'example.com', '-u', '1000', '--group-add', '10', 'diamol/base', 'sh', '-c', 'cat /proc/sys/kernel/domainname; id'] },
  { name: 'run --shm-size', args: ['run', '--rm', '--shm-size', '128m', 'diamol/base', 'df', '-k', '/dev/shm'] },
  { name: 'run --pull never of a missing image', args: ['run', '--rm', '--pull', 'never', 'no/such-image'], hint: true },
  { name: 'run --cidfile', run: ({ cli, tmp }) => {
    const file = join(tmp, 'cid');
    const r = cli(['run', '--rm', '--cidfile', file, 'diamol/base', 'true']);
    return { ...r, stdout: r.stdout + readFileSync(file, 'utf8').replace(/^[0-9a-f]{64}$/, '<64 hex>') + '\n' };
  } },
  { name: 'run --cidfile of a file that is there', run: ({ cli, tmp }) => {
    const file = join(tmp, 'cid-there');
    writeFileSync(file, 'x');
    return cli(['run', '--rm', '--cidfile', file, 'diamol/base', 'true']);
  }, norm: (s) => s.replace(/\/tmp\/\w+-sbs-\w+-\w+/, '<tmp>'), hint: true },
  { name: 'run --env-file, --label-file', run: ({ cli, tmp }) => {
    writeFileSync(join(tmp, 'env'), 'A=1\n# comment\nB=two words\n');
    writeFileSync(join(tmp, 'labels'), 'l1=a\nl2=b\n');
    const r = cli(['run', '--name', 'files', '--env-file', join(tmp, 'env'), '--label-file', join(tmp, 'labels'), 'diamol/base', 'sh', '-c', 'echo "$A|$B"']);
    const i = cli(['inspect', '-f', '{{json .Config.Labels}}', 'files']);
    return { status: r.status, stdout: r.stdout + i.stdout, stderr: r.stderr + i.stderr };
  }, after: [['rm', 'files']] },
  { name: 'run --env-file of a missing file', args: ['run', '--rm', '--env-file', '/nonexistent/env', 'diamol/base', 'true'], hint: true },
  { name: 'run --stop-signal, --expose in inspect', run: ({ cli }) => {
    const c = cli(['create', '--name', 'sig', '--stop-signal', 'SIGUSR1', '--expose', '7000-7001', 'diamol/base', 'true']);
    if (c.status !== 0) return c;
    return cli(['inspect', '-f', '{{.Config.StopSignal}} {{json .Config.ExposedPorts}}', 'sig']);
  }, after: [['rm', 'sig']] },
  { name: 'create, then start -a', run: ({ cli }) => {
    const c = cli(['create', '--name', 'sa', 'diamol/base', 'echo', 'started']);
    if (c.status !== 0) return c;
    return cli(['start', '-a', 'sa']);
  }, after: [['rm', 'sa']] },
  { name: 'exec -d returns at once', run: ({ cli }) => {
    const t = Date.now();
    // In `web`, not `sleeper`: a later case counts sleeper's pids, and this sleep may outlive it on one side only.
    const r = cli(['exec', '-d', 'web', 'sleep', '5']);
    return { ...r, stdout: r.stdout + (Date.now() - t < 3000 ? 'quick\n' : 'slow\n') };
  } },
  { name: 'logs -t', args: ['logs', '-t', 'three'], sort: true },
  { name: 'top with ps options', args: ['top', 'sleeper', '-o', 'pid,args'], norm: (s) => s.replace(/^\d+ +/gm, '<pid> ') },
  { name: 'ps -s', args: ['ps', '-s', '--filter', 'name=sleeper', '--format', '{{.Names}} {{.Size}}'] },
  { name: 'stats --format', args: ['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'sleeper'], api: 'same' },
  { name: 'commit -c -m, then run and inspect', run: ({ cli }) => {
    const c = cli(['commit', '-c', 'CMD ["echo","committed"]', '-m', 'msg', 'changer', 'img:c2']);
    const r = cli(['run', '--rm', 'img:c2']);
    const i = cli(['inspect', '-f', '{{.Comment}} {{json .Config.Cmd}}', 'img:c2']);
    return { status: Math.max(c.status ?? 255, r.status ?? 255, i.status ?? 255), stdout: c.stdout + r.stdout + i.stdout, stderr: c.stderr + r.stderr + i.stderr };
  }, after: [['rmi', 'img:c2']] },
  { name: 'rmi of an image a container uses', args: ['rmi', 'diamol/ch02-hello-diamol'], differs: { reason: 'docker names the container by its short id; skiff by its name, and adds a hint', same: ['status', 'stdout'] }, api: 'same' },
  { name: 'chapter: the published page', run: ({ netns }) => {
    const curl = ['curl', '-s', '--max-time', '10', 'http://127.0.0.1:8088/'];
    const r = netns ? spawnSync('nsenter', [`--net=${netns}`, '--', ...curl], { encoding: 'utf8' }) : spawnSync(curl[0]!, curl.slice(1), { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } },
  // ── the system ──
  { name: 'version --format of the server', args: ['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'] },
  { name: 'system df --format', args: ['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}'] },
  { name: 'image prune -f with nothing to prune', args: ['image', 'prune', '-f'] },
  { name: 'info --format counts', args: ['info', '--format', '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}}'] },
  // last: it removes the stopped fixtures
  { name: 'container prune -f', args: ['container', 'prune', '-f'], sort: true },
];

function client(cmd: string, env: Record<string, string>): Exec {
  return (args, input, timeoutMs = 180_000) => {
    // SIGKILL: the docker CLI passes SIGTERM on to an attached container and stays, blocking the suite.
    const r = spawnSync(cmd, args, { encoding: 'utf8', env, input: input ?? '', timeout: timeoutMs, killSignal: 'SIGKILL' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

/**
 * One describe block: dockerd and skiff (through `via`: skiff's CLI, or the docker CLI against
 * `skiff system service`) set up alike in beforeAll, every case compared, both torn down in afterAll.
 */
export function sideBySide(title: string, via: 'cli' | 'api'): void {
  let dockerd: Dockerd | undefined;
  let store: Store | undefined;
  let svc: Service | undefined;
  const exec: Partial<Record<Side, Exec>> = {};
  const tmps: Partial<Record<Side, string>> = {};
  // Which CLI prints each side's output (its error prefixes and its name are normalised away).
  const clientOf: Record<Side, Side> = { docker: 'docker', skiff: via === 'cli' ? 'skiff' : 'docker' };
  const must = (side: Side, args: string[], status = 0): Out => {
    const r = exec[side]!(args);
    if (r.status !== status) throw new Error(`${side} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r;
  };

  beforeAll(async () => {
    if (sideBySideConds.some((c) => c() !== undefined)) return;
    assertSuiteNetns();
    store = tempStore('skiff-sbs-');
    const base = { PATH: process.env.PATH!, HOME: '/root', TZ: 'UTC', LANG: 'C.UTF-8' };
    const skiffCli = client(SKIFF, { ...base, SKIFF_ROOT: store.root });
    exec.skiff = skiffCli;
    dockerd = await startDockerd(DOCKER);
    exec.docker = client(DOCKER, { ...base, ...dockerd.env });
    for (const side of ['docker', 'skiff'] as const) tmps[side] = mkdtempSync(`/tmp/skiff-sbs-${side}-`);
    // The lab images into skiff's store, then the same images (same ids) into dockerd.
    for (const i of IMAGES) must('skiff', ['pull', '-q', i]);
    const archive = join(tmps.skiff!, 'images.tar');
    must('skiff', ['save', '-o', archive, ...IMAGES]);
    must('docker', ['load', '-i', archive]);
    rmSync(archive);
    if (via === 'api') {
      svc = await startService(store.root);
      const config = join(tmps.skiff!, 'docker-config');
      mkdirSync(config);
      exec.skiff = client(DOCKER, { ...base, DOCKER_HOST: `unix://${svc.socket}`, DOCKER_CONFIG: config });
    }
    // `three` exits 3 on purpose (its logs, its exit code).
    for (const side of ['docker', 'skiff'] as const) for (const f of FIXTURES) must(side, f, f[2] === 'three' ? 3 : 0);
  }, 180_000);

  afterAll(async () => {
    await svc?.stop();
    // skiff's containers first: their supervisors would outlive the suite's namespaces.
    store?.dispose();
    await dockerd?.stop();
    for (const t of Object.values(tmps)) rmSync(t, { recursive: true, force: true });
  }, 150_000);

  describe(title, () => {
    for (const c of CASES) {
      itWhen(sideBySideConds, c.name, () => {
        const got: Partial<Record<Side, Out>> = {};
        for (const side of ['docker', 'skiff'] as const) {
          for (const b of c.before ?? []) must(side, b);
          const cli = exec[side]!;
          const r = c.run ? c.run({ cli, side, tmp: tmps[side]!, ...(side === 'docker' ? { netns: dockerd!.netns } : {}) }) : cli(c.args!, c.input, c.timeoutMs);
          for (const a of c.after ?? []) cli(a);
          const n = (s: string) => {
            const t = normalise(s, clientOf[side]);
            return c.norm ? c.norm(t) : t;
          };
          const stdout = n(r.stdout);
          got[side] = { status: r.status, stdout: c.sort ? stdout.split('\n').sort().join('\n') : stdout, stderr: n(r.stderr) };
        }
        const d = got.docker!;
        const s = got.skiff!;
        const differs = via === 'cli' ? c.differs : c.api === 'same' ? undefined : c.api ?? c.differs;
        const hint = via === 'cli' && c.hint;
        const same: Part[] = differs?.same ?? ['status', 'stdout', 'stderr'];
        if (differs) {
          // A difference on purpose must still be one: if the outputs now agree, the case belongs among the strict ones.
          expect(d.status !== s.status || d.stdout !== s.stdout || d.stderr !== s.stderr, `${c.name}: listed as different but identical`).toBe(true);
        }
        for (const p of same) {
          if (p === 'stderr' && hint) {
            expect(s.stderr.startsWith(d.stderr.trimEnd()), `${c.name}: skiff's stderr starts with docker's\n${d.stderr}\n${s.stderr}`).toBe(true);
            expect(s.stderr.slice(d.stderr.trimEnd().length), `${c.name}: then a hint`).toMatch(/^(\. .+)?\n$/);
          } else {
            expect(s[p], `${c.name}: ${p}\ndocker: ${JSON.stringify(d)}\nskiff:  ${JSON.stringify(s)}`).toEqual(d[p]);
          }
        }
        if (hint && !same.includes('stderr')) expect(d.stderr, c.name).not.toBe('');
      }, 90_000);
    }
  });
}
