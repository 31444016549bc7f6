// The real machine behind the Probe interface: files, PATH, xattrs, statfs. Every method answers
// "unknown" (undefined/false) instead of throwing, so one unreadable file never hides other checks.
import { accessSync, constants, existsSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Probe, StatInfo } from './types.js';
import { engineMode, hostIds, storePaths } from '../state/paths.js';
import { getXattr } from '../kernel/xattr-read.js';
import { projectRoot } from '../native.js';
import { checkCgroups } from '../cgroups/doctor.js';

/** Login name of a uid, from /etc/passwd. */
export function userNameOf(uid: number, passwd: string | undefined): string | undefined {
  for (const line of (passwd ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && Number(f[2]) === uid && f[2] !== '') return f[0];
  }
  return undefined;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function hostProbe(): Probe {
  return {
    readFile: readOrUndefined,
    exists: (p) => existsSync(p),
    stat(p): StatInfo | undefined {
      try {
        const s = statSync(p);
        return { mode: s.mode, uid: s.uid, isFile: s.isFile(), isDirectory: s.isDirectory() };
      } catch {
        return undefined;
      }
    },
    which(cmd) {
      // The sbin dirs too: a plain user's PATH on Debian lacks them, but the tools live there.
      const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
      for (const d of dirs.filter(Boolean)) {
        const p = join(d, cmd);
        try {
          accessSync(p, constants.X_OK);
          if (statSync(p).isFile()) return p;
        } catch {
          /* next dir */
        }
      }
      return undefined;
    },
    getxattr(p, name) {
      try {
        return getXattr(p, name);
      } catch {
        return undefined;
      }
    },
    kernelRelease: () => release(),
    nodeVersion: () => process.versions.node,
    invokingUser() {
      const sudoUid = process.env.SUDO_UID;
      const { uid } = hostIds();
      if (uid === 0 && sudoUid && Number(sudoUid) !== 0) {
        return { uid: Number(sudoUid), name: process.env.SUDO_USER ?? userNameOf(Number(sudoUid), readOrUndefined('/etc/passwd')), viaSudo: true };
      }
      return { uid, name: userNameOf(uid, readOrUndefined('/etc/passwd')), viaSudo: false };
    },
    mode: () => engineMode(),
    storeDir: () => storePaths().data,
    writable(dir) {
      try {
        accessSync(dir, constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    freeBytes(dir) {
      try {
        const s = statfsSync(dir);
        return Number(s.bavail) * Number(s.bsize);
      } catch {
        return undefined;
      }
    },
    cgroupChecks: () => checkCgroups(),
    nativeRuntime: () => join(process.env.SKIFF_NATIVE_DIR ?? join(projectRoot(), 'native-bindings', 'build'), 'skiff-runtime'),
  };
}
