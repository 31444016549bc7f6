// Docker's default seccomp profile and the security flags, end to end through the real CLI, as root and
// rootless: the calls Docker's profile refuses fail with EPERM in run AND exec, `seccomp=unconfined`
// shows the same calls succeed (so the refusals are the filter's doing), and each flag changes what the
// container can do. A tiny static probe (built here with gcc) makes each raw syscall and prints its errno.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needRoot, needUserns } from '../helpers/conditions.js';
import { skiff, skiffAs, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';
import { allCapabilitiesMask } from '../helpers/capabilities.js';

const PROBE_C = `
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *n = argv[i];
    long r = -1;
    errno = 0;
    if (!strcmp(n, "unshare-user")) r = unshare(CLONE_NEWUSER);
    else if (!strcmp(n, "keyctl")) r = syscall(SYS_keyctl, 0, -3, 0);
    else if (!strcmp(n, "add_key")) r = syscall(SYS_add_key, "user", "skiff", "x", 1, -2);
    /* an unknown command: EINVAL from the kernel, EPERM from the filter (plain bpf is EPERM either way here) */
    else if (!strcmp(n, "bpf")) { char a[128]; memset(a, 0, sizeof a); r = syscall(SYS_bpf, 12345, a, sizeof a); }
    else if (!strcmp(n, "perf_event_open")) { struct perf_event_attr a; memset(&a, 0, sizeof a); a.size = sizeof a; a.type = PERF_TYPE_SOFTWARE;
      a.config = PERF_COUNT_SW_CPU_CLOCK; a.exclude_kernel = 1; a.exclude_hv = 1; r = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0); }
    else if (!strcmp(n, "userfaultfd")) r = syscall(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */);
    else if (!strcmp(n, "io_uring_setup")) { struct io_uring_params p; memset(&p, 0, sizeof p); r = syscall(SYS_io_uring_setup, 1, &p); }
    else if (!strcmp(n, "personality")) r = syscall(SYS_personality, 0x0400000 /* READ_IMPLIES_EXEC */);
    else if (!strcmp(n, "getpid")) r = syscall(SYS_getpid);
    printf("%s=%d\\n", n, r < 0 ? errno : 0);
  }
  return 0;
}
`;

const REFUSED = ['unshare-user', 'keyctl', 'add_key', 'bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'personality'];
const PROBE_ARGS = ['/probe', ...REFUSED, 'getpid'];
const EPERM_ALL = [...REFUSED.map((n) => `${n}=1`), 'getpid=0'].join('\n') + '\n';
const UNFILTERED = [...REFUSED.map((n) => `${n}=${n === 'bpf' ? 22 : 0}`), 'getpid=0'].join('\n') + '\n';

let dir: string;
let probe: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync('/tmp/skiff-seccomp-');
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'probe.c'), PROBE_C);
  probe = join(dir, 'probe');
  const cc = spawnSync('cc', ['-static', '-O2', '-o', probe, join(dir, 'probe.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`building the probe failed: ${cc.stderr}`);
  store = tempStore();
});
afterAll(() => {
  store?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], input?: string) => skiff(['run', '--rm', '--network', 'none', ...args], { env: store.env, input });
const withProbe = () => ['-v', `${probe}:/probe:ro`];
function noContainers(s: Store): void {
  const d = join(s.root, 'containers');
  expect(existsSync(d) ? readdirSync(d) : []).toEqual([]);
}

describe('seccomp as root', () => {
  itWhen([needRoot, needCommand('cc')], 'a default container has Docker\'s filter: Seccomp 2, and the calls Docker refuses fail with EPERM', () => {
    const r = run([...withProbe(), 'diamol/base', 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; unshare -U true 2>/dev/null || echo unshare refused; "$@"', 'sh', ...PROBE_ARGS]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Seccomp:\t2\nunshare refused\n${EPERM_ALL}`);
  }, 60_000);

  itWhen([needRoot, needCommand('cc')], 'seccomp=unconfined: no filter, the same calls succeed (so the refusals above are the filter\'s)', () => {
    const r = run(['--security-opt', 'seccomp=unconfined', ...withProbe(), 'diamol/base', 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; "$@"', 'sh', ...PROBE_ARGS]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Seccomp:\t0\n${UNFILTERED}`);
  }, 60_000);

  itWhen([needRoot, needCommand('cc')], 'exec gets the container\'s filter; nginx runs and serves under it', () => {
    const id = skiff(['run', '-d', ...withProbe(), 'nginx'], { env: store.env }).stdout.trim();
    try {
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      const e = skiff(['exec', id, 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; "$@"', 'sh', ...PROBE_ARGS], { env: store.env });
      expect(e.status, e.stderr).toBe(0);
      expect(e.stdout).toBe(`Seccomp:\t2\n${EPERM_ALL}`);
      let page = '';
      for (let i = 0; i < 50 && !page.includes('nginx'); i++) {
        page = skiff(['exec', id, 'sh', '-c', 'wget -qO- http://127.0.0.1/ 2>/dev/null || sleep 0.1'], { env: store.env }).stdout;
      }
      expect(page).toMatch(/nginx/i);
    } finally {
      skiff(['rm', '-f', id], { env: store.env });
    }
  }, 60_000);

  itWhen([needRoot, needCommand('cc')], 'the profile follows the capabilities: --cap-add SYS_ADMIN allows unshare; --cap-drop ALL --cap-add chown keeps one', () => {
    const a = run(['--cap-add', 'SYS_ADMIN', ...withProbe(), 'diamol/base', 'sh', '-c', 'grep "^CapBnd:" /proc/self/status; /probe unshare-user keyctl']);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toBe('CapBnd:\t00000000a82425fb\nunshare-user=0\nkeyctl=1\n');
    const b = run(['--cap-drop', 'ALL', '--cap-add', 'cap_chown', 'diamol/base', 'grep', '^CapBnd:', '/proc/self/status']);
    expect(b.stdout).toBe('CapBnd:\t0000000000000001\n');
    const c = run(['--cap-drop', 'net_raw', 'diamol/base', 'grep', '^CapBnd:', '/proc/self/status']);
    expect(c.stdout).toBe('CapBnd:\t00000000a80405fb\n');
  }, 60_000);

  itWhen([needRoot], '-u 1000 with --cap-drop SETUID,SETGID runs (the ids change before the sets shrink); root keeps its set, another uid none', () => {
    const u = run(['-u', '1000:1000', '--cap-drop', 'SETUID', '--cap-drop', 'setgid', 'diamol/base', 'sh', '-c', 'id -u; grep -E "^Cap(Bnd|Eff):" /proc/self/status']);
    expect(u.status, u.stderr).toBe(0);
    expect(u.stdout).toBe('1000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a804253b\n');
    const r = run(['--cap-drop', 'net_raw', 'diamol/base', 'grep', '-E', '^Cap(Eff|Bnd):', '/proc/self/status']);
    expect(r.stdout).toBe('CapEff:\t00000000a80405fb\nCapBnd:\t00000000a80405fb\n');
  }, 60_000);

  itWhen([needRoot, needCommand('cc')], 'seccomp=PROFILE.json loads that profile; no-new-privileges=false still loads the default filter', () => {
    const profile = join(dir, 'profile.json');
    writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
    const p = run(['--security-opt', `seccomp=${profile}`, ...withProbe(), 'diamol/base', '/probe', 'getpid', 'keyctl']);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toBe('getpid=13\nkeyctl=0\n');
    const n = run(['--security-opt', 'no-new-privileges=false', ...withProbe(), 'diamol/base', 'sh', '-c', 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; /probe keyctl']);
    expect(n.status, n.stderr).toBe(0);
    expect(n.stdout).toBe('NoNewPrivs:\t0\nSeccomp:\t2\nkeyctl=1\n');
  }, 60_000);
});

describe('security flags as root', () => {
  itWhen([needRoot], '--privileged: every capability, no filter, host devices, no masked or read-only /proc paths', () => {
    const r = run(['--privileged', 'diamol/base', 'sh', '-c',
      'grep -E "^(CapBnd|Seccomp):" /proc/self/status; test -c /dev/kmsg && echo kmsg; grep -c -E " /proc/(keys|sys) " /proc/self/mountinfo']);
    expect(r.stdout).toBe(`CapBnd:\t${allCapabilitiesMask().toString(16).padStart(16, '0')}\nSeccomp:\t0\nkmsg\n0\n`);
    const d = run(['diamol/base', 'sh', '-c', 'test -c /dev/kmsg || echo no kmsg; grep -c -E " /proc/(keys|sys) " /proc/self/mountinfo']);
    expect(d.stdout).toBe('no kmsg\n2\n');
  }, 60_000);

  itWhen([needRoot], '--read-only: the root filesystem refuses writes, /dev/shm still takes them', () => {
    const r = run(['--read-only', 'diamol/base', 'sh', '-c', 'touch /x 2>&1; touch /dev/shm/x && echo shm ok']);
    expect(r.stdout).toMatch(/Read-only file system\nshm ok\n$/);
    expect(run(['diamol/base', 'sh', '-c', 'touch /x && echo written']).stdout).toBe('written\n');
  }, 60_000);

  itWhen([needRoot], '--device HOST:CONTAINER binds the host device node', () => {
    const r = run(['--device', '/dev/full:/dev/xfull', 'diamol/base', 'sh', '-c', 'test -c /dev/xfull && head -c 3 /dev/xfull | od -An -tx1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('00 00 00');
  }, 60_000);

  itWhen([needRoot], '--pids-limit and the default cap: pids.max where a pids cgroup exists, RLIMIT_NPROC where not', () => {
    const show = 'cat /sys/fs/cgroup/pids.max 2>/dev/null || ulimit -u';
    expect(run(['--pids-limit', '10', 'diamol/base', 'sh', '-c', show]).stdout).toBe('10\n');
    expect(run(['diamol/base', 'sh', '-c', show]).stdout).toBe('2048\n');
  }, 60_000);

  itWhen([needRoot], 'inspect shows the flags as Docker\'s HostConfig does', () => {
    const c = skiff(['create', '--cap-add', 'net_admin', '--cap-drop', 'MKNOD', '--read-only', '--device', '/dev/full:/dev/xfull:r', '--pids-limit', '50',
      '--security-opt', 'no-new-privileges', '--security-opt', 'seccomp=unconfined', 'diamol/base'], { env: store.env });
    expect(c.status, c.stderr).toBe(0);
    const id = c.stdout.trim();
    try {
      const h = JSON.parse(skiff(['inspect', id], { env: store.env }).stdout)[0].HostConfig;
      expect(h).toMatchObject({
        CapAdd: ['CAP_NET_ADMIN'], CapDrop: ['CAP_MKNOD'], ReadonlyRootfs: true, Privileged: false, PidsLimit: 50,
        SecurityOpt: ['no-new-privileges=true', 'seccomp=unconfined'],
        Devices: [{ PathOnHost: '/dev/full', PathInContainer: '/dev/xfull', CgroupPermissions: 'r' }],
      });
      const d = JSON.parse(skiff(['inspect', skiff(['create', 'diamol/base'], { env: store.env }).stdout.trim()], { env: store.env }).stdout)[0].HostConfig;
      expect(d).toMatchObject({ CapAdd: null, CapDrop: null, SecurityOpt: null, Privileged: false, ReadonlyRootfs: false, Devices: [], PidsLimit: null });
    } finally {
      spawnSync('sh', ['-c', `ids=$(${JSON.stringify(join(process.cwd(), 'bin/skiff'))} ps -aq); [ -z "$ids" ] || ${JSON.stringify(join(process.cwd(), 'bin/skiff'))} rm -f $ids`], { env: { ...process.env, ...store.env } });
    }
  }, 60_000);

  itWhen([needRoot], 'bad values: one line (a flag that does not parse: then Docker\'s usage lines), exit 125, no container left', () => {
    for (const [flags, msg] of [
      [['--cap-add', 'FLY'], /unknown capability: "CAP_FLY"/],
      [['--security-opt', 'apparmor=docker-default'], /AppArmor is not enabled on this host/],
      [['--security-opt', 'label=type:x'], /SELinux is not enabled on this host/],
      [['--security-opt', 'seccomp=/nonexistent.json'], /opening seccomp profile/],
      [['--security-opt', 'no-new-privileges=maybe'], /not a boolean/],
      [['--device', '/etc/passwd'], /not a device node/],
      [['--pids-limit', 'lots'], /invalid argument "lots" for "--pids-limit"/],
    ] as Array<[string[], RegExp]>) {
      const r = run([...flags, 'diamol/base', 'true']);
      expect(r.status, flags.join(' ')).toBe(125);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(msg);
      // As docker 28: a value its flag parser refuses is followed by the usage line and the --help hint.
      if (flags[0] === '--pids-limit') expect(lines.slice(1).filter(Boolean)).toEqual([expect.stringMatching(/^Usage: +skiff run /), expect.stringMatching(/--help' for more information/)]);
      else expect(lines).toHaveLength(1);
    }
    noContainers(store);
  }, 60_000);
});

describe('seccomp and the process cap rootless', () => {
  let user: ReturnType<typeof ensureTestUser>;
  let s: Store | undefined;
  const rootless = [needRoot, needUserns, needCommand('newuidmap'), needCommand('cc')];
  afterAll(() => s?.dispose());
  const userStoreOnce = () => {
    user ??= ensureTestUser(true);
    s ??= userStore(user);
    return s;
  };

  itWhen(rootless, 'run and exec get the filter', () => {
    const st = userStoreOnce();
    const r = skiffAs(user, ['run', '--rm', ...withProbe(), 'diamol/base', 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; "$@"', 'sh', ...PROBE_ARGS], st.env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Seccomp:\t2\n${EPERM_ALL}`);
    const id = skiffAs(user, ['run', '-d', ...withProbe(), 'diamol/base', 'sleep', '60'], st.env).stdout.trim();
    try {
      const e = skiffAs(user, ['exec', id, ...PROBE_ARGS], st.env);
      expect(e.stdout).toBe(EPERM_ALL);
    } finally {
      skiffAs(user, ['rm', '-f', id], st.env);
    }
  }, 120_000);

  itWhen(rootless, '--pids-limit holds without a pids controller (RLIMIT_NPROC), and allows what fits', () => {
    const st = userStoreOnce();
    // Five processes at most: a later fork fails, whichever mechanism (cgroup or rlimit) caps it.
    const p = skiffAs(user, ['run', '--rm', '--pids-limit', '5', 'diamol/base', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done 2>&1; wait'], st.env);
    expect(p.stdout + p.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    const q = skiffAs(user, ['run', '--rm', '--pids-limit', '50', 'diamol/base', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done 2>&1; wait; echo done'], st.env);
    expect(q.stdout).toBe('done\n');
  }, 120_000);
});
