// --device HOST[:CONTAINER[:PERMS]] and --privileged's "every host device": which host device nodes
// are bound into the container's /dev. (Binding, not mknod: a user namespace may not create devices.)
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';

/** Docker's HostConfig.Devices entry. */
export interface DeviceMapping { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }

function usage(spec: string, why: string): SkiffError {
  return new SkiffError('EUSAGE', `invalid --device ${JSON.stringify(spec)}: ${why}`, 'use --device /dev/HOST[:/dev/CONTAINER[:rwm]] with a device node that exists');
}

export function parseDevice(spec: string): DeviceMapping {
  const parts = spec.split(':');
  if (parts.length > 3) throw usage(spec, 'too many colons');
  const [host = '', second, third] = parts;
  // Docker: a second field without a leading '/' is the permissions ("/dev/fuse:rwm").
  let target = second, perms = third;
  if (parts.length === 2 && second !== undefined && !second.startsWith('/')) { target = undefined; perms = second; }
  target ||= host;
  perms ??= 'rwm';
  if (!host.startsWith('/')) throw usage(spec, 'the host path must be absolute');
  if (!target.startsWith('/') || target.split('/').includes('..')) throw usage(spec, 'the container path must be absolute, without ".."');
  if (!/^[rwm]{1,3}$/.test(perms) || new Set(perms).size !== perms.length) throw usage(spec, `bad permissions "${perms}" (a combination of r, w, m)`);
  let st;
  try {
    st = lstatSync(host);
  } catch {
    throw usage(spec, `${host}: no such device`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw usage(spec, `${host} is not a device node`);
  return { PathOnHost: host, PathInContainer: target, CgroupPermissions: perms };
}

/** Every device node under the host's /dev (not its pts/shm/mqueue instances) — what --privileged gets. */
export function hostDevices(root = '/dev'): DeviceMapping[] {
  const out: DeviceMapping[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/ptmx', '/dev/console'].includes(p)) continue;
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isCharacterDevice() || st.isBlockDevice()) out.push({ PathOnHost: p, PathInContainer: p, CgroupPermissions: 'rwm' });
    }
  };
  walk(root);
  return out;
}
