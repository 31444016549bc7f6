// The lab Vagrantfile: valid Ruby, a Debian 12 box with 2 CPUs and 2–4 GB, and a provisioning script
// that exists in the repo, is shellcheck-clean, and runs the project's install script.
import { describe, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { itWhen, needCommand } from '../../helpers/conditions.js';

interface Recorded {
  version: string;
  box: string;
  synced: { src: string; dst: string; opts: Record<string, unknown> }[];
  providers: Record<string, { cpus?: number; memory?: number }>;
  provision: { name: string; type: string; path?: string; privileged?: boolean; env?: Record<string, string> }[];
  network: { kind: string; guest?: number; host?: number; host_ip?: string }[];
}

function recorded(): Recorded {
  const out = execFileSync('ruby', ['test/unit/vagrant/vagrantfile-recorder.rb', 'Vagrantfile'], { encoding: 'utf8' });
  return JSON.parse(out) as Recorded;
}

describe('Vagrantfile', () => {
  itWhen([needCommand('ruby')], 'is valid Ruby (ruby -c)', () => {
    const r = spawnSync('ruby', ['-c', 'Vagrantfile'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Syntax OK');
  });

  itWhen([needCommand('ruby')], 'a Debian 12 box with 2 CPUs and 2–4 GB on every provider', () => {
    const v = recorded();
    expect(v.version).toBe('2');
    expect(v.box).toBe('debian/bookworm64');
    expect(Object.keys(v.providers).sort()).toEqual(['libvirt', 'virtualbox']);
    for (const p of Object.values(v.providers)) {
      expect(p.cpus).toBe(2);
      expect(p.memory).toBeGreaterThanOrEqual(2048);
      expect(p.memory).toBeLessThanOrEqual(4096);
    }
    expect(v.network).toContainEqual(expect.objectContaining({ kind: 'forwarded_port', guest: 8088, host: 8088, host_ip: '127.0.0.1' }));
  });

  itWhen([needCommand('ruby')], 'syncs the project to /home/vagrant/skiff without host build outputs', () => {
    const v = recorded();
    const sync = v.synced.find((s) => s.dst === '/home/vagrant/skiff')!;
    expect(sync.src).toBe('.');
    expect(sync.opts.type).toBe('rsync');
    expect(sync.opts.rsync__exclude).toEqual(expect.arrayContaining(['node_modules/', 'dist/', 'native-bindings/build/']));
  });

  itWhen([needCommand('ruby')], 'provisions with a script in the repo that runs scripts/install.sh and sets up cgroup delegation', () => {
    const [prov] = recorded().provision;
    expect(prov).toMatchObject({ type: 'shell', privileged: true });
    expect(existsSync(prov!.path!)).toBe(true);
    const script = readFileSync(prov!.path!, 'utf8');
    expect(script).toContain('./scripts/install.sh');
    expect(script).toContain('/etc/systemd/system/user@.service.d');
    expect(script).toContain('Delegate=cpu cpuset io memory pids');
    expect(script).toContain('systemd.unified_cgroup_hierarchy=1');
    expect(script).toContain('skiff container run diamol/ch02-hello-diamol');
    expect(existsSync('scripts/install.sh')).toBe(true);
    expect(prov!.env!.SKIFF_DIR).toBe('/home/vagrant/skiff');
  });

  itWhen([needCommand('shellcheck')], 'the provisioning and install scripts are shellcheck-clean', () => {
    const r = spawnSync('shellcheck', ['scripts/vagrant-provision.sh', 'scripts/install.sh'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  itWhen([needCommand('ruby')], 'the recorder itself fails on a broken Vagrantfile (the checks above can fail)', () => {
    const r = spawnSync('ruby', ['-e', 'load "/dev/stdin"'], { input: 'Vagrant.configure("2") do |c|\n', encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });
});
