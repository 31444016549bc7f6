// skiff-oci's record of each container under --root: <root>/<id>/state.json (written whole, then
// renamed) and <root>/<id>/exec.fifo, which exists from `create` until `start` and holds the
// container's init before its execve. The status is never stored: it is read off the process
// (pid + start time, so a recycled pid is not mistaken for the container) and the fifo.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { isProcessAlive } from '../kernel/process-identity.js';
import { OCI_VERSION, type OciHook, type OciState, type OciStatus } from './spec.js';

export interface OciRecord {
  id: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat when the container was created. */
  startTime: string;
  bundle: string;
  created: string;
  owner: number;
  annotations?: Record<string, string>;
  poststop?: OciHook[];
  /** Namespace types the container got afresh: exec joins exactly these, plus those it joined by path. */
  namespaces: string[];
  /** The container's cgroup v1 directories (one per hierarchy), removed on delete. */
  cgroupDirs?: string[];
  /** Without a mount namespace: the mounts the container made in the caller's namespace, beneath `root`. */
  sharedMounts?: Array<{ id: number; mountPoint: string }>;
  /** The container's root directory (root.path resolved), where sharedMounts are. */
  root?: string;
  /** Set once `start` has let the init exec. */
  started?: boolean;
}

export function defaultRoot(): string {
  const uid = process.geteuid?.() ?? 0;
  if (uid === 0) return '/run/skiff-oci';
  const xdg = process.env.XDG_RUNTIME_DIR;
  return xdg ? join(xdg, 'skiff-oci') : `/tmp/skiff-oci-${uid}`;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

export function checkId(id: string | undefined): string {
  if (!id) throw new SkiffError('EUSAGE', 'a container id is required', 'give the container id as the last argument');
  if (!ID.test(id) || id.length > 1024) throw new SkiffError('EUSAGE', `invalid container id "${id}"`, 'ids use letters, digits and _ . + -');
  return id;
}

export class OciStore {
  constructor(readonly root: string) {}

  dir(id: string): string { return join(this.root, checkId(id)); }
  fifo(id: string): string { return join(this.dir(id), 'exec.fifo'); }

  /** Claims the id: mkdir fails if it exists, so two creates of one id cannot both win. */
  claim(id: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const d = this.dir(id);
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new SkiffError('ENAMEINUSE', `container "${id}" already exists`, 'delete it first or choose another id');
      throw e;
    }
    return d;
  }

  write(r: OciRecord): void {
    const path = join(this.dir(r.id), 'state.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(r));
    renameSync(`${path}.tmp`, path);
  }

  read(id: string): OciRecord {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as OciRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SkiffError('ENOCONTAINER', `container "${id}" does not exist`, 'list containers with `skiff-oci list`');
      throw e;
    }
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((d) => existsSync(join(this.root, d, 'state.json')));
    } catch {
      return [];
    }
  }

  status(r: OciRecord): OciStatus {
    if (!isProcessAlive(r.pid, r.startTime)) return 'stopped';
    return existsSync(this.fifo(r.id)) ? 'created' : 'running';
  }

  state(r: OciRecord): OciState {
    const status = this.status(r);
    return {
      ociVersion: OCI_VERSION, id: r.id, status, ...(status === 'stopped' ? {} : { pid: r.pid }), bundle: r.bundle,
      ...(r.annotations ? { annotations: r.annotations } : {}),
    };
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
