// `skiff doctor` on this very machine: each line must say what the machine really is, checked here
// with other tools (stat -f, stat, getcap, /proc) rather than with skiff's own code.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { itWhen, needRoot, haveCommand } from '../helpers/conditions.js';
import { skiff, skiffAs, tempStore } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';

interface Line { id: string; status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string }
interface Report { mode: string; ready: boolean; checks: Line[] }

function doctorJson(run: () => ReturnType<typeof skiff>): { report: Report; status: number | null } {
  const r = run();
  expect(r.stderr).toBe('');
  return { report: JSON.parse(r.stdout) as Report, status: r.status };
}
const byId = (rep: Report, id: string) => rep.checks.find((c) => c.id === id)!;

function fsType(path: string): string {
  return execFileSync('stat', ['-f', '-c', '%T', path], { encoding: 'utf8' }).trim();
}

/** newuidmap usable as the machine really is: setuid root (stat) or file capabilities (getcap). */
function idMapHelperUsable(cmd: string): boolean {
  const which = spawnSync('sh', ['-c', `PATH=$PATH:/usr/sbin:/sbin command -v ${cmd}`], { encoding: 'utf8' });
  const path = which.stdout.trim();
  if (which.status !== 0 || !path) return false;
  const [mode, uid] = execFileSync('stat', ['-L', '-c', '%a %u', path], { encoding: 'utf8' }).trim().split(' ');
  if (uid === '0' && (parseInt(mode!, 8) & 0o4000) !== 0) return true;
  if (!haveCommand('getcap')) return false;
  return execFileSync('getcap', [path], { encoding: 'utf8' }).includes('cap_setuid');
}

describe('skiff doctor on this machine', () => {
  itWhen([needRoot], 'as root: lines match the machine, exit status matches the verdict', () => {
    const store = tempStore();
    try {
      const { report, status } = doctorJson(() => skiff(['doctor', '--json'], { env: store.env }));
      expect(report.mode).toBe('rootful');
      expect(status).toBe(report.ready ? 0 : 1);
      expect(report.ready).toBe(report.checks.every((c) => c.status !== 'fail'));

      const cg = byId(report, 'cgroups');
      if (fsType('/sys/fs/cgroup') === 'cgroup2fs') {
        expect(cg.detail).toMatch(/^v2/);
      } else {
        // A hybrid or v1 host (like the project's dev machine): limits cannot work.
        expect(cg.status).toBe('fail');
        expect(cg.detail).toContain("won't work");
        expect(cg.fix).toContain('systemd.unified_cgroup_hierarchy=1');
        expect(report.ready).toBe(false);
        expect(status).toBe(1);
      }

      const usable = idMapHelperUsable('newuidmap') && idMapHelperUsable('newgidmap');
      expect(byId(report, 'newuidmap').status).toBe(usable ? 'ok' : 'warn'); // not needed as root

      expect(byId(report, 'overlay').status).toBe(readFileSync('/proc/filesystems', 'utf8').includes('\toverlay') ? 'ok' : 'fail');
      expect(byId(report, 'native').status).toBe(existsSync('native-bindings/build/skiff-runtime') ? 'ok' : 'fail');
      expect(byId(report, 'nftables').status).toBe(existsSync('/usr/lib/x86_64-linux-gnu/libnftables.so.1') ? 'ok' : 'fail');
      expect(byId(report, 'store').detail).toContain(store.root);
      expect(byId(report, 'kernel').detail).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
      expect(byId(report, 'subids').detail).toContain('root');

      // The text form: one line per check with its mark, then the verdict.
      const text = skiff(['doctor'], { env: store.env });
      const lines = text.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(report.checks.length + 1);
      for (const [i, c] of report.checks.entries()) {
        expect(lines[i]!.startsWith({ ok: '✔ ', warn: '! ', fail: '✘ ' }[c.status])).toBe(true);
        if (c.status !== 'ok' && c.fix) expect(lines[i]).toContain(`— fix: ${c.fix}`);
      }
      expect(text.status).toBe(status);
    } finally {
      store.dispose();
    }
  });

  itWhen([needRoot], 'as a user with a subuid range: rootless mode, the range is found', () => {
    const user = ensureTestUser(true);
    const store = tempStore();
    try {
      execFileSync('chown', [`${user.uid}:${user.gid}`, store.root]);
      const { report } = doctorJson(() => skiffAs(user, ['doctor', '--json'], store.env));
      expect(report.mode).toBe('rootless');
      const sub = byId(report, 'subids');
      expect(sub.status).toBe('ok');
      // useradd may have granted a range before ensureTestUser appended one: the largest wins.
      const ranges = readFileSync('/etc/subuid', 'utf8').split('\n').filter((l) => l.startsWith(`${user.name}:`)).map((l) => l.split(':').map(Number));
      const best = ranges.reduce((a, b) => (b[2]! > a[2]! ? b : a));
      expect(sub.detail).toContain(`${user.name}: uids ${best[1]}+${best[2]}`);
      const port = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
      expect(byId(report, 'low-ports').status).toBe(port <= 80 ? 'ok' : 'warn');
      const usable = idMapHelperUsable('newuidmap') && idMapHelperUsable('newgidmap');
      expect(byId(report, 'newuidmap').status).toBe(usable ? 'ok' : 'fail');
      const net = haveCommand('pasta') || haveCommand('slirp4netns');
      expect(byId(report, 'rootless-net').status).toBe(net ? 'ok' : 'fail');
    } finally {
      store.dispose();
    }
  });

  itWhen([needRoot], 'as a user without a subuid range: ✘ with the usermod fix naming that user', () => {
    const user = ensureTestUser(false);
    const store = tempStore();
    try {
      execFileSync('chown', [`${user.uid}:${user.gid}`, store.root]);
      const r = skiffAs(user, ['doctor'], store.env);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`✘ subordinate uid/gid ranges: no subuid/subgid range for ${user.name} — fix: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user.name}`);
    } finally {
      store.dispose();
    }
  });
});

it('doctor --help names the checks', () => {
  const r = skiff(['doctor', '--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('--json');
});
