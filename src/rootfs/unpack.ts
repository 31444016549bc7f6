// Unpacking one image layer into a directory that overlay will use as a lowerdir.
//
//   blob ─▶ decompress ─▶ sha256 (diffId)
//                     └─▶ TarGate (checks every entry, re-encodes headers) ─▶ GNU tar -x (a helper process)
//                                                                   then: opaque dirs get user.overlay.opaque=y
//
// GNU tar does the writing because it is fast (C, one process on the other core) and complete
// (modes without umask, setuid, owners, xattrs, devices, hardlinks, directory mtimes after their
// contents); node-tar in-process measured 2–12× slower (docs/unpack.md). Safety does not rest on
// GNU tar: the gate decides what tar may see, and tar's own refusals (no `..`, no leading `/`,
// delayed symlinks) are a second wall (test/unit/unpack-corpus.test.ts checks both walls apart).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { log } from '../log.js';
import { trace } from '../trace.js';
import { inInitialUserNamespace } from '../state/paths.js';
import { openLayerStream } from './decompress.js';
import { GateError, TarGate } from './tar-gate.js';
import { setXattrBeneath } from './beneath.js';
import { removeTree } from './remove-tree.js';

export interface UnpackOptions {
  /** keep: restore the layer's numeric owners (needs root, or a full subuid map); squash: everything owned by the caller. */
  owners?: 'keep' | 'squash';
}

export interface UnpackResult {
  /** 'sha256:<hex>' of the uncompressed tar */
  diffId: string;
  entries: number;
  /** bytes of regular-file content */
  bytes: number;
}

/** What this process may create: real devices and privileged xattrs need root in the initial user namespace. */
function privileges(): { devices: boolean; keepXattr: (name: string) => boolean } {
  const root = process.geteuid!() === 0;
  const hostRoot = root && inInitialUserNamespace();
  return {
    devices: hostRoot,
    keepXattr: (name) => {
      // overlay's own xattrs in a lower layer would forge whiteouts/redirects: never from an image
      if (name.startsWith('user.overlay.') || name.startsWith('trusted.overlay.')) return false;
      if (name.startsWith('user.')) return true;
      if (name === 'security.capability') return root; // in a user namespace the kernel stores a v3 (namespaced) capability
      if (name.startsWith('trusted.')) return hostRoot;
      return false; // security.selinux (host labels), system.* ACLs: not an image's business
    },
  };
}

function prepareDest(destDir: string): void {
  try {
    mkdirSync(destDir, { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (readdirSync(destDir).length > 0) throw new SkiffError('ELAYER', `unpack target ${destDir} is not empty`, 'this is a bug in skiff: please report it');
  }
}

function tarArgs(destDir: string, owners: 'keep' | 'squash'): string[] {
  return [
    '--extract', '--file=-', `--directory=${destDir}`,
    '--numeric-owner', '--preserve-permissions', owners === 'keep' ? '--same-owner' : '--no-same-owner',
    '--xattrs', '--xattrs-include=*', '--no-acls', '--no-selinux',
    '--delay-directory-restore', '--warning=no-timestamp', '--warning=no-unknown-keyword',
  ];
}

interface TarProcess { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> }

function startTar(destDir: string, owners: 'keep' | 'squash'): TarProcess {
  const args = tarArgs(destDir, owners);
  trace.step('helper', `tar ${args.join(' ')}`, 'GNU tar writes the entries the gate accepted');
  const child = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  child.stdin!.on('error', () => {}); // EPIPE when tar dies early: reported through its exit status
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('error', (e) => resolve({ code: -1, stderr: String(e.message) }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  return { child, done };
}

async function writeAll(tar: TarProcess, bufs: Buffer[]): Promise<void> {
  const stdin = tar.child.stdin!;
  if (stdin.destroyed) throw new SkiffError('ELAYER', 'GNU tar stopped reading the layer', 'see the error above');
  stdin.cork();
  let ok = true;
  for (const b of bufs) ok = stdin.write(b) && ok;
  stdin.uncork();
  if (ok) return;
  await new Promise<void>((resolve) => {
    const fin = (): void => {
      stdin.off('drain', fin);
      stdin.off('close', fin);
      resolve();
    };
    stdin.on('drain', fin);
    stdin.on('close', fin);
  });
}

function layerError(e: unknown, blobPath: string): SkiffError {
  if (e instanceof SkiffError) return e;
  if (e instanceof GateError) return new SkiffError('ELAYER', `refusing layer ${blobPath}: ${e.message}`, 'the image is malformed or malicious; nothing of this layer was kept', { cause: e });
  return new SkiffError('ELAYER', `cannot unpack layer ${blobPath}: ${(e as Error).message}`, 'the blob may be corrupt: pull the image again', { cause: e });
}

/** Unpack one layer blob into destDir (which must not exist or be empty). On any error destDir is removed. */
export async function unpackLayer(blobPath: string, mediaType: string, destDir: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const owners = opts.owners ?? (process.geteuid!() === 0 ? 'keep' : 'squash');
  const priv = privileges();
  const gate = new TarGate({ ...priv, warn: (msg) => log().warn({ layer: blobPath }, msg) });
  let tar: TarProcess | undefined;
  let source: ReturnType<typeof openLayerStream> | undefined;
  prepareDest(destDir);
  trace.step('fs', `unpack ${blobPath} → ${destDir}`, 'each layer is unpacked once, then shared read-only as an overlay lowerdir');
  try {
    source = openLayerStream(blobPath, mediaType);
    const decompressor = source.child ? waitHelper(source.child, 'zstd') : undefined;
    decompressor?.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    tar = startTar(destDir, owners);
    const hash = createHash('sha256');
    for await (const chunk of source.stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      const out = gate.feed(chunk);
      if (out.length) await writeAll(tar, out);
    }
    await writeAll(tar, gate.finish());
    tar.child.stdin!.end();
    if (decompressor) await decompressor;
    const { code, stderr } = await tar.done;
    if (code !== 0) throw new SkiffError('ELAYER', `GNU tar failed unpacking ${blobPath}: ${stderr.trim().split('\n').slice(-3).join('; ') || `exit ${code}`}`, 'check free space and permissions of the store');
    for (const dir of gate.opaqueDirs) setXattrBeneath(destDir, dir, 'user.overlay.opaque', Buffer.from('y'));
    return { diffId: `sha256:${hash.digest('hex')}`, entries: gate.entries, bytes: gate.bytes };
  } catch (e) {
    source?.stream.destroy();
    source?.child?.kill('SIGKILL');
    if (tar) {
      tar.child.kill('SIGKILL');
      await tar.done;
    }
    removeTree(destDir);
    throw layerError(e, blobPath);
  }
}

function waitHelper(child: ChildProcess, name: string): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new SkiffError('ELAYER', `cannot run ${name}: ${e.message}`, `install ${name} (scripts/install-deps.sh)`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new SkiffError('ELAYER', `${name} failed: ${stderr.trim() || `exit ${code}`}`, 'the blob may be corrupt: pull the image again'))));
  });
}
