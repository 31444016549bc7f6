// Is the process named in engine.pid really this user's engine-namespace holder? Joining a namespace
// is trusting it completely (its mounts decide which `node` runs next), so a pid and a start time are
// not enough: the pid file must be a regular file of ours (not a symlink), the process must be ours,
// and its executable must be skiff-runtime, which is what a holder is (it never execs). The same
// checks run in C before `skiff-runtime enter` joins (native-bindings/runtime/enter.c).
import { closeSync, constants, fstatSync, openSync, readFileSync, readlinkSync, readSync, realpathSync, statSync } from 'node:fs';
import { processStartTime } from '../kernel/process-identity.js';

export type HolderCheck =
  | { ok: true; pid: number }
  | { ok: false; why: string; /** a holder of ours from an older skiff-runtime build: safe to stop */ stale?: number };

function readPidFile(path: string): { text: string; uid: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined; // missing, or a symlink (ELOOP): either way no holder of ours
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(128);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { text: buf.subarray(0, n).toString('utf8'), uid: st.uid };
  } finally {
    closeSync(fd);
  }
}

/** What /proc/<pid>/exe of a process running launch's sealed copy of skiff-runtime reads. */
const SEALED_COPY = '/memfd:skiff-runtime (deleted)';

/** `runtimePath` is the skiff-runtime binary a genuine holder was started from. */
export function checkHolder(pidFile: string, runtimePath: string): HolderCheck {
  const me = process.geteuid!();
  const f = readPidFile(pidFile);
  if (!f) return { ok: false, why: 'no pid file' };
  if (f.uid !== me) return { ok: false, why: `pid file belongs to uid ${f.uid}` };
  const [pidText, start] = f.text.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !start || processStartTime(pid) !== start) return { ok: false, why: 'holder is gone' };
  let owner: number, exe: string;
  try {
    owner = statSync(`/proc/${pid}`).uid;
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return { ok: false, why: 'cannot inspect the process' };
  }
  if (owner !== me) return { ok: false, why: `process ${pid} belongs to uid ${owner}` };
  const want = realpathSync(runtimePath);
  if (exe === want) return { ok: true, pid };
  // launch re-executes itself from a sealed memfd copy (runtime/sealed_self.c): a holder's exe is that copy.
  if (exe === SEALED_COPY) {
    let same = false;
    try {
      same = readFileSync(`/proc/${pid}/exe`).equals(readFileSync(want));
    } catch {
      return { ok: false, why: 'cannot inspect the process' };
    }
    return same ? { ok: true, pid } : { ok: false, why: 'holder of an older skiff-runtime build', stale: pid };
  }
  if (exe === `${want} (deleted)`) return { ok: false, why: 'holder of an older skiff-runtime build', stale: pid };
  return { ok: false, why: `process ${pid} runs ${exe}, not skiff-runtime` };
}
