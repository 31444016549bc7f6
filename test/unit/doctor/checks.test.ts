import { describe, expect, it } from 'vitest';
import { fakeProbe, healthy, cgroupsHybrid } from './fake-probe.js';
import { runDoctor, formatDoctor } from '../../../src/doctor/run-doctor.js';
import { kernelCheck } from '../../../src/doctor/checks/kernel.js';
import { userNamespacesCheck } from '../../../src/doctor/checks/user-namespaces.js';
import { subordinateIdsCheck, subidRange } from '../../../src/doctor/checks/subordinate-ids.js';
import { idMapHelpersCheck } from '../../../src/doctor/checks/id-map-helpers.js';
import { overlayCheck } from '../../../src/doctor/checks/overlayfs.js';
import { cgroupsCheck } from '../../../src/doctor/checks/cgroups.js';
import { nftablesCheck } from '../../../src/doctor/checks/nftables.js';
import { rootlessNetworkCheck } from '../../../src/doctor/checks/rootless-network.js';
import { lowPortsCheck } from '../../../src/doctor/checks/low-ports.js';
import { nativeLauncherCheck } from '../../../src/doctor/checks/native-launcher.js';
import { nodeVersionCheck } from '../../../src/doctor/checks/node-version.js';
import { storeCheck } from '../../../src/doctor/checks/store.js';
import { userNameOf } from '../../../src/doctor/host-probe.js';

describe('doctor on a healthy machine', () => {
  it('every check passes and the verdict is ready', () => {
    const r = runDoctor(fakeProbe(healthy()));
    expect(r.checks.filter((c) => c.status !== 'ok' && c.id !== 'low-ports')).toEqual([]);
    expect(r.ready).toBe(true);
    expect(formatDoctor(r)).toMatch(/^✔ kernel version: 6\.1\.0-27-amd64$/m);
    expect(formatDoctor(r)).toMatch(/ready for rootless mode\n$/);
  });
});

describe('kernel', () => {
  it('grades by version', () => {
    const m = healthy();
    m.kernel = '5.10.0-28-amd64';
    expect(kernelCheck.run(fakeProbe(m)).status).toBe('warn');
    m.kernel = '4.9.0';
    expect(kernelCheck.run(fakeProbe(m)).status).toBe('fail');
    m.kernel = '5.11.0';
    expect(kernelCheck.run(fakeProbe(m)).status).toBe('ok');
  });
});

describe('user namespaces', () => {
  it('Debian unprivileged_userns_clone=0 fails with the sysctl fix', () => {
    const m = healthy();
    m.files['/proc/sys/kernel/unprivileged_userns_clone'] = '0\n';
    const f = userNamespacesCheck.run(fakeProbe(m));
    expect(f.status).toBe('fail');
    expect(f.fix).toContain('kernel.unprivileged_userns_clone=1');
  });
  it('max_user_namespaces=0 fails', () => {
    const m = healthy();
    m.files['/proc/sys/user/max_user_namespaces'] = '0\n';
    expect(userNamespacesCheck.run(fakeProbe(m))).toMatchObject({ status: 'fail', detail: 'user.max_user_namespaces = 0' });
  });
  it('Ubuntu AppArmor restriction fails with its fix', () => {
    const m = healthy();
    m.files['/proc/sys/kernel/apparmor_restrict_unprivileged_userns'] = '1\n';
    expect(userNamespacesCheck.run(fakeProbe(m)).fix).toContain('apparmor_restrict_unprivileged_userns=0');
  });
  it('clone=1 with a positive max is fine', () => {
    const m = healthy();
    m.files['/proc/sys/kernel/unprivileged_userns_clone'] = '1\n';
    expect(userNamespacesCheck.run(fakeProbe(m)).status).toBe('ok');
  });
  it('is only a warning for root', () => {
    const m = healthy();
    m.mode = 'rootful';
    m.user = { uid: 0, name: 'root', viaSudo: false };
    m.files['/proc/sys/user/max_user_namespaces'] = '0\n';
    const r = runDoctor(fakeProbe(m));
    expect(r.checks.find((c) => c.id === 'userns')!.status).toBe('warn');
    expect(r.ready).toBe(true);
  });
});

describe('subordinate ids', () => {
  it('parses by name or uid and takes the largest range', () => {
    expect(subidRange('bob:1:2\nalice:100000:65536\n1000:200000:131072\n', 'alice', 1000)).toEqual({ start: 200000, count: 131072 });
    expect(subidRange('bob:1:2\n', 'alice', 1000)).toBeUndefined();
    expect(subidRange(undefined, 'alice', 1000)).toBeUndefined();
  });
  it('missing ranges fail with the usermod fix for that user', () => {
    const m = healthy();
    m.files['/etc/subgid'] = 'bob:100000:65536\n';
    const f = subordinateIdsCheck.run(fakeProbe(m));
    expect(f).toMatchObject({ status: 'fail', detail: 'no subgid range for alice' });
    expect(f.fix).toBe('sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice');
  });
  it('a small range is a warning', () => {
    const m = healthy();
    m.files['/etc/subuid'] = 'alice:100000:1000\n';
    expect(subordinateIdsCheck.run(fakeProbe(m)).status).toBe('warn');
  });
  it('under sudo, checks the user who ran sudo', () => {
    const m = healthy();
    m.mode = 'rootful';
    m.user = { uid: 1001, name: 'carol', viaSudo: true };
    const f = subordinateIdsCheck.run(fakeProbe(m));
    expect(f.status).toBe('fail');
    expect(f.fix).toContain('carol');
  });
});

describe('newuidmap/newgidmap', () => {
  it('missing → install uidmap', () => {
    const m = healthy();
    delete m.commands.newuidmap;
    expect(idMapHelpersCheck.run(fakeProbe(m))).toMatchObject({ status: 'fail', fix: 'sudo apt-get install uidmap' });
  });
  it('neither setuid nor capabilities → chmod/setcap hint', () => {
    const m = healthy();
    m.commands.newgidmap = { mode: 0o100755, uid: 0 };
    const f = idMapHelpersCheck.run(fakeProbe(m));
    expect(f.status).toBe('fail');
    expect(f.fix).toContain('setcap');
  });
  it('file capabilities are as good as setuid', () => {
    const m = healthy();
    m.commands.newuidmap = { mode: 0o100755, uid: 0, caps: true };
    m.commands.newgidmap = { mode: 0o100755, uid: 0, caps: true };
    expect(idMapHelpersCheck.run(fakeProbe(m)).status).toBe('ok');
  });
  it('inside the rootless engine namespace, root-owned shows as the overflow uid and still counts', () => {
    const m = healthy();
    m.commands.newuidmap = { mode: 0o104755, uid: 65534 };
    m.commands.newgidmap = { mode: 0o104755, uid: 65534 };
    m.files['/proc/sys/kernel/overflowuid'] = '65534\n';
    m.files['/proc/self/uid_map'] = '         0       1000          1\n         1     100000      65536\n';
    expect(idMapHelpersCheck.run(fakeProbe(m)).status).toBe('ok');
    // Where host root is mapped, an overflow owner is somebody else's file.
    m.files['/proc/self/uid_map'] = '         0          0 4294967295\n';
    expect(idMapHelpersCheck.run(fakeProbe(m)).status).toBe('fail');
  });
  it('setuid but not owned by root does not count', () => {
    const m = healthy();
    m.commands.newuidmap = { mode: 0o104755, uid: 1000 };
    expect(idMapHelpersCheck.run(fakeProbe(m)).status).toBe('fail');
  });
});

describe('overlayfs', () => {
  it('not loaded but the module exists → modprobe hint', () => {
    const m = healthy();
    m.files['/proc/filesystems'] = 'nodev\tsysfs\n';
    m.dirs.push('/lib/modules/6.1.0-27-amd64/kernel/fs/overlayfs');
    expect(overlayCheck.run(fakeProbe(m))).toMatchObject({ status: 'fail', detail: 'overlay module not loaded' });
    expect(overlayCheck.run(fakeProbe(m)).fix).toContain('modprobe overlay');
  });
  it('old kernel: no userxattr → warning', () => {
    const m = healthy();
    m.kernel = '5.10.0';
    expect(overlayCheck.run(fakeProbe(m)).status).toBe('warn');
  });
});

describe('cgroups (from src/cgroups checkCgroups)', () => {
  it('unified and delegated: ok, listing the usable controllers', () => {
    expect(cgroupsCheck.run(fakeProbe(healthy()))).toEqual({ status: 'ok', detail: '/sys/fs/cgroup (unified), controllers: cpu cpuset io memory pids' });
  });
  it('hybrid host: limits will not work, switch on the kernel cmdline (and delegate, rootless)', () => {
    const m = healthy();
    m.cgroups = cgroupsHybrid();
    const f = cgroupsCheck.run(fakeProbe(m));
    expect(f.status).toBe('fail');
    expect(f.detail).toBe("not unified: /sys/fs/cgroup/unified (hybrid); controllers unavailable: cpu cpuset io memory pids — --memory/--cpus/--pids-limit won't work");
    expect(f.fix).toContain('systemd.unified_cgroup_hierarchy=1');
    expect(f.fix!.match(/unified_cgroup_hierarchy/g)).toHaveLength(1); // the same fix is said once
    expect(f.fix).toContain('Delegate=cpu cpuset io memory pids');
    m.mode = 'rootful';
    expect(cgroupsCheck.run(fakeProbe(m)).fix).not.toContain('Delegate=');
  });
  it('rootless without memory/pids delegated → fail with the delegation fix', () => {
    const m = healthy();
    const fix = 'systemctl edit user@.service: [Service] Delegate=cpu cpuset io memory pids; log in again';
    m.cgroups = m.cgroups.map((c) => (c.name === 'memory controller' || c.name === 'pids controller' ? { ...c, ok: false, detail: 'not available to skiff', fix } : c));
    const f = cgroupsCheck.run(fakeProbe(m));
    expect(f).toMatchObject({ status: 'fail', fix });
    expect(f.detail).toContain('controllers unavailable: memory pids');
  });
  it('only io or cpuset missing is a warning: the main limits still work', () => {
    const m = healthy();
    m.cgroups = m.cgroups.map((c) => (c.name === 'io controller' ? { ...c, ok: false, detail: 'not available', fix: 'echo +io > x' } : c));
    expect(cgroupsCheck.run(fakeProbe(m))).toMatchObject({ status: 'warn', detail: 'controllers unavailable: io (limits on cpu cpuset memory pids work)', fix: 'echo +io > x' });
  });
  it('no cgroup for containers is fatal', () => {
    const m = healthy();
    m.cgroups[1] = { name: 'cgroup for containers', ok: false, detail: 'our cgroup is not delegated', fix: 'systemd-run --user --scope -p Delegate=yes skiff …' };
    expect(cgroupsCheck.run(fakeProbe(m))).toMatchObject({ status: 'fail', detail: "cgroup for containers: our cgroup is not delegated — --memory/--cpus/--pids-limit won't work" });
  });
});

describe('networking', () => {
  it('nftables library missing', () => {
    const m = healthy();
    delete m.files['/usr/lib/x86_64-linux-gnu/libnftables.so.1'];
    expect(nftablesCheck.run(fakeProbe(m))).toMatchObject({ status: 'fail', detail: 'libnftables.so.1 not found' });
  });
  it('neither pasta nor slirp4netns', () => {
    const m = healthy();
    delete m.commands.pasta;
    expect(rootlessNetworkCheck.run(fakeProbe(m)).fix).toContain('passt slirp4netns');
    m.commands.slirp4netns = { mode: 0o100755, uid: 0 };
    expect(rootlessNetworkCheck.run(fakeProbe(m)).status).toBe('ok');
  });
  it('low ports: warning rootless, never a failure', () => {
    const m = healthy();
    expect(lowPortsCheck.run(fakeProbe(m)).status).toBe('warn');
    m.files['/proc/sys/net/ipv4/ip_unprivileged_port_start'] = '80\n';
    expect(lowPortsCheck.run(fakeProbe(m)).status).toBe('ok');
    m.mode = 'rootful';
    m.files['/proc/sys/net/ipv4/ip_unprivileged_port_start'] = '1024\n';
    expect(lowPortsCheck.run(fakeProbe(m)).status).toBe('ok');
  });
});

describe('launcher, node, store', () => {
  it('native launcher missing → build hint', () => {
    const m = healthy();
    m.native = undefined;
    expect(nativeLauncherCheck.run(fakeProbe(m)).fix).toContain('npm run build:native');
    m.native = { mode: 0o100644 };
    expect(nativeLauncherCheck.run(fakeProbe(m)).detail).toContain('not executable');
  });
  it('node 18 fails', () => {
    const m = healthy();
    m.node = '18.19.1';
    expect(nodeVersionCheck.run(fakeProbe(m)).status).toBe('fail');
  });
  it('store: checks the nearest existing ancestor and the free space', () => {
    const m = healthy();
    expect(storeCheck.run(fakeProbe(m)).status).toBe('ok');
    m.writable = [];
    expect(storeCheck.run(fakeProbe(m))).toMatchObject({ status: 'fail', detail: '/home/alice is not writable' });
    m.writable = ['/home/alice'];
    m.free = 100 * 1024 * 1024;
    expect(storeCheck.run(fakeProbe(m)).status).toBe('fail');
    m.free = 1024 * 1024 * 1024;
    expect(storeCheck.run(fakeProbe(m)).status).toBe('warn');
  });
});

describe('verdict and output', () => {
  it('a failing needed check makes the machine not ready; the line carries the fix', () => {
    const m = healthy();
    m.cgroups = cgroupsHybrid();
    const r = runDoctor(fakeProbe(m));
    expect(r.ready).toBe(false);
    const text = formatDoctor(r);
    expect(text).toMatch(/^✘ cgroup v2 \(resource limits\): not unified: .* — fix: boot with systemd\.unified_cgroup_hierarchy=1/m);
    expect(text).toMatch(/not ready for rootless mode: 1 check failed\n$/);
  });
  it('a crashing check is reported, not thrown', () => {
    const r = runDoctor(fakeProbe(healthy()), [{ id: 'x', title: 'boom', neededFor: ['rootless'], run: () => { throw new Error('bad'); } }]);
    expect(r.checks[0]).toMatchObject({ status: 'fail', detail: 'check crashed: bad' });
  });
  it('userNameOf reads /etc/passwd', () => {
    expect(userNameOf(1000, 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n')).toBe('alice');
    expect(userNameOf(5, 'root:x:0:0::/root:/bin/sh\n')).toBeUndefined();
  });
});
