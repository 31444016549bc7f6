// The gate between a layer's tar stream and GNU tar. It frames the stream itself, checks every entry
// with entry-policy.ts, and re-encodes each accepted entry as a fresh canonical ustar(+pax) header;
// file data passes through untouched. GNU tar therefore never parses a header from the layer — only
// ones written here — and it only receives an entry after that entry was accepted: there is no window
// in which tar could act on something the gate has not yet seen, and no parser differential (GNU
// sparse, multi-volume, base-256, prefix-vs-atime, duplicate pax keys …) to smuggle a name through.
//
// Rewrites on the way:  `.wh.X` → char device 0/0 `X` (an overlay whiteout, allowed unprivileged);
// `.wh..wh..opq` → dropped and reported (the caller sets user.overlay.opaque=y); hardlink to a symlink
// → a copy of the symlink; device nodes (other than 0/0) → dropped with a warning, rootful and
// rootless alike; xattrs the caller may not (or must not: overlay's own) set → dropped.
// Every entry's disk cost is counted before it is passed on: past the limit the unpack stops
// (limits.ts), so a layer bomb never reaches the disk.
import {
  BLOCK, MAX_OCTAL_11, MAX_OCTAL_7, TarFormatError, decodeHeader, encodeHeader, encodePaxHeader, encodePaxRecord,
  isZeroBlock, parsePax, type RawHeader,
} from './tar-format.js';
import { LayerTree, PolicyError, normalizeName, whiteoutOf } from './entry-policy.js';
import { entryCost } from './limits.js';
import { bytesSize } from '../format/size.js';

export interface GateOptions {
  /** Disk (as entryCost counts it) this layer may take; past it the gate throws LayerTooLarge. */
  maxBytes?: number;
  /** Said in the error when maxBytes is hit: where the limit comes from. */
  limitWhy?: string;
  /** Is this xattr to be restored? (called for every xattr of every entry) */
  keepXattr: (name: string) => boolean;
  warn: (msg: string) => void;
}

export class GateError extends Error {}
/** The layer is bigger than the limit: not malformed, but not unpacked either. */
export class LayerTooLarge extends GateError {}

const MAX_META = 1 << 20; // pax / GNU long-name bodies: real ones are a few hundred bytes
const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

export class TarGate {
  // Parents a layer implies without listing get an explicit 0755 root:root entry (as containerd
  // does): left to tar they would be 0777 & ~umask, and in overlay the topmost layer's directory
  // attributes win — a 0700 /etc from one sloppy layer would break every non-root process.
  readonly tree = new LayerTree((dir) => this.implied.push(dir));
  private implied: string[] = [];
  readonly opaqueDirs = new Set<string>();
  entries = 0;
  /** Bytes of regular-file content. */
  bytes = 0;
  /** Disk the entries so far take (limits.ts entryCost). */
  cost = 0;
  private state: 'header' | 'data' | 'meta' | 'end' = 'header';
  private left = 0; // data bytes (incl. padding) left in the current entry
  private forward = false;
  private carry: Buffer | undefined;
  private carryLen = 0;
  private metaType = '';
  private metaNeed = 0;
  private metaSize = 0;
  private pax: Map<string, Buffer> | undefined;
  private longName: Buffer | undefined;
  private longLink: Buffer | undefined;

  constructor(private readonly opts: GateOptions) {}

  /** Feed the next piece of the uncompressed stream; returns what GNU tar may see (possibly views of
   *  `chunk`: write them out before reusing it). Throws GateError. */
  feed(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    try {
      this.consume(chunk, out);
    } catch (e) {
      if (e instanceof PolicyError || e instanceof TarFormatError) throw new GateError(e.message);
      throw e;
    }
    return out;
  }

  /** End of stream: the tail GNU tar needs, or GateError if the layer stopped mid-entry. */
  finish(): Buffer[] {
    if (this.state === 'data' || this.state === 'meta' || this.carryLen > 0) throw new GateError('layer ends in the middle of an entry (truncated)');
    if (this.pax || this.longName || this.longLink) throw new GateError('layer ends after an extended header with no entry');
    return [Buffer.alloc(2 * BLOCK)];
  }

  private consume(chunk: Buffer, out: Buffer[]): void {
    let i = 0;
    while (i < chunk.length && this.state !== 'end') {
      if (this.state === 'data') {
        const n = Math.min(this.left, chunk.length - i);
        if (this.forward) out.push(chunk.subarray(i, i + n));
        this.left -= n;
        i += n;
        if (this.left === 0) this.state = 'header';
        continue;
      }
      const need = this.state === 'header' ? BLOCK : this.metaNeed;
      let block: Buffer;
      if (this.carryLen === 0 && chunk.length - i >= need) {
        block = chunk.subarray(i, i + need);
        i += need;
      } else {
        if (!this.carry || this.carry.length < need) {
          const c = Buffer.alloc(need);
          if (this.carry) this.carry.copy(c, 0, 0, this.carryLen);
          this.carry = c;
        }
        const n = Math.min(need - this.carryLen, chunk.length - i);
        chunk.copy(this.carry, this.carryLen, i, i + n);
        this.carryLen += n;
        i += n;
        if (this.carryLen < need) continue;
        block = this.carry.subarray(0, need);
        this.carryLen = 0;
      }
      if (this.state === 'header') this.onHeader(block, out);
      else this.onMeta(block);
    }
  }

  private onMeta(block: Buffer): void {
    const body = Buffer.from(block.subarray(0, this.metaSize));
    this.state = 'header';
    switch (this.metaType) {
      case 'x':
        if (this.pax) throw new GateError('two pax headers for one entry');
        this.pax = parsePax(body);
        break;
      case 'g': {
        const g = parsePax(body);
        for (const k of ['path', 'linkpath', 'size']) if (g.has(k)) throw new GateError(`global pax header sets ${k}`);
        for (const k of g.keys()) if (k.startsWith('GNU.sparse')) throw new GateError('GNU sparse files are not supported in layers');
        break; // other global keys (comment, charset…) do not change any entry's meaning for us
      }
      case 'L':
      case 'K': {
        const nul = body.indexOf(0);
        const v = nul === -1 ? body : body.subarray(0, nul);
        if (this.metaType === 'L') {
          if (this.longName) throw new GateError('two GNU long names for one entry');
          this.longName = v;
        } else {
          if (this.longLink) throw new GateError('two GNU long link names for one entry');
          this.longLink = v;
        }
      }
    }
  }

  private onHeader(block: Buffer, out: Buffer[]): void {
    if (isZeroBlock(block, 0)) {
      if (this.pax || this.longName || this.longLink) throw new GateError('extended header followed by end of archive');
      this.state = 'end'; // GNU tar stops at the first zero block too; the rest is hashed, never unpacked
      return;
    }
    const h = decodeHeader(block, 0);
    const t = h.typeflag;
    if (t === 'x' || t === 'g' || t === 'L' || t === 'K') {
      if (h.size > MAX_META) throw new GateError(`extended header of ${h.size} bytes`);
      this.metaType = t;
      this.metaSize = h.size;
      this.metaNeed = padded(h.size);
      this.state = this.metaNeed === 0 ? 'header' : 'meta';
      if (this.metaNeed === 0) this.onMeta(Buffer.alloc(0));
      return;
    }
    this.onEntry(h, out);
  }

  private onEntry(h: RawHeader, out: Buffer[]): void {
    const pax = this.pax ?? new Map<string, Buffer>();
    const longName = this.longName;
    const longLink = this.longLink;
    this.pax = this.longName = this.longLink = undefined;

    let type = h.typeflag;
    if (!'01234567\0'.includes(type)) throw new GateError(`unsupported tar entry type ${JSON.stringify(type)}`);
    for (const k of pax.keys()) if (k.startsWith('GNU.sparse')) throw new GateError('GNU sparse files are not supported in layers');

    const rawName = (pax.get('path') ?? longName ?? (h.prefix.length ? Buffer.concat([h.prefix, Buffer.from('/'), h.name]) : h.name)).toString('utf8');
    const rawLink = (pax.get('linkpath') ?? longLink ?? h.linkname).toString('utf8');
    const size = pax.has('size') ? paxInt(pax.get('size')!, 'size') : h.size;
    const uid = pax.has('uid') ? paxInt(pax.get('uid')!, 'uid') : h.uid;
    const gid = pax.has('gid') ? paxInt(pax.get('gid')!, 'gid') : h.gid;
    let mtime: number | string = h.mtime;
    if (pax.has('mtime')) {
      const m = pax.get('mtime')!.toString('latin1');
      if (!/^-?[0-9]{1,15}(\.[0-9]{1,9})?$/.test(m)) throw new GateError('malformed pax mtime');
      mtime = m.startsWith('-') ? 0 : m;
    }
    if (type === '\0' && rawName.endsWith('/')) type = '5'; // pre-POSIX archives mark directories so
    if (type === '\0' || type === '7') type = '0';

    // Data (and its padding) of this entry: forwarded only for regular files.
    this.left = padded(size);
    this.forward = type === '0';
    this.state = this.left > 0 ? 'data' : 'header';

    const path = normalizeName(rawName);
    this.charge(type === '0' ? size : 0, path);
    const mode = h.mode & 0o7777;
    const xattrs = this.xattrs(pax, path);
    const emit = (typeflag: string, name: string, link = '', dataSize = 0, dev: [number, number] = [0, 0], m = mode): void => {
      this.flushImplied(out, mtime);
      out.push(...encodeEntry({ typeflag, name, link, size: dataSize, mode: m, uid, gid, mtime, dev, xattrs }));
    };

    const wh = whiteoutOf(path);
    if (wh) {
      this.forward = false;
      if (wh.kind === 'opaque') {
        this.tree.markDir(wh.dir);
        this.flushImplied(out, mtime); // the directory must exist for its opaque xattr, listed or not
        this.opaqueDirs.add(wh.dir);
      } else if (wh.kind === 'whiteout') {
        if (this.tree.kindOf(wh.target) !== undefined) throw new GateError(`whiteout ${JSON.stringify(path)} for a path this layer also contains`);
        this.tree.add(wh.target, 'other');
        emit('3', wh.target, '', 0, [0, 0], 0);
      }
      this.entries++;
      return;
    }
    this.entries++;
    switch (type) {
      case '0':
        this.tree.add(path, 'file');
        this.bytes += size;
        emit('0', path, '', size);
        return;
      case '5':
        this.tree.add(path, 'dir');
        emit('5', path === '' ? '.' : path);
        return;
      case '2':
        if (rawLink === '' || rawLink.includes('\0') || Buffer.byteLength(rawLink) > 4095) throw new GateError(`bad symlink target for ${JSON.stringify(path)}`);
        this.tree.add(path, 'symlink', rawLink);
        emit('2', path, rawLink);
        return;
      case '1': {
        const target = normalizeName(rawLink, 'hardlink target');
        if (target === path) throw new GateError(`hardlink ${JSON.stringify(path)} to itself`);
        const node = this.tree.hardlinkTarget(target);
        if (node.kind === 'symlink') {
          this.tree.add(path, 'symlink', node.symlinkTarget);
          emit('2', path, node.symlinkTarget!);
        } else {
          this.tree.add(path, node.kind);
          emit('1', path, target);
        }
        return;
      }
      case '3':
      case '4': {
        // A device node from an image would be a door to host hardware wherever the store is
        // reachable; containers get their /dev from the runtime. Docker and podman rootless drop them
        // too (they cannot make them); skiff drops them as root as well. 0/0 is an overlay whiteout.
        const whiteoutLike = type === '3' && h.devmajor === 0 && h.devminor === 0;
        if (!whiteoutLike) {
          this.opts.warn(`skipping device node ${path}: skiff does not store device nodes from images`);
          return;
        }
        this.tree.add(path, 'other');
        emit(type, path, '', 0, [h.devmajor, h.devminor]);
        return;
      }
      case '6':
        this.tree.add(path, 'other');
        emit('6', path);
        return;
    }
  }

  private charge(size: number, path: string): void {
    this.cost += entryCost(size);
    const max = this.opts.maxBytes;
    if (max !== undefined && this.cost > max) {
      throw new LayerTooLarge(`layer expands beyond ${bytesSize(max)} (at ${JSON.stringify(path)}), over ${this.opts.limitWhy ?? 'the limit'}`);
    }
  }

  private flushImplied(out: Buffer[], mtime: number | string): void {
    for (const dir of this.implied) {
      out.push(...encodeEntry({ typeflag: '5', name: dir, link: '', size: 0, mode: 0o755, uid: 0, gid: 0, mtime, dev: [0, 0], xattrs: [] }));
    }
    this.implied = [];
  }

  private xattrs(pax: Map<string, Buffer>, path: string): Array<[string, Buffer]> {
    const xs: Array<[string, Buffer]> = [];
    for (const [k, v] of pax) {
      let name: string;
      let value = v;
      if (k.startsWith('SCHILY.xattr.')) name = k.slice('SCHILY.xattr.'.length);
      else if (k.startsWith('LIBARCHIVE.xattr.')) {
        name = decodeURIComponent(k.slice('LIBARCHIVE.xattr.'.length));
        value = Buffer.from(v.toString('latin1'), 'base64');
      } else continue;
      if (name === '' || name.includes('\0') || name.includes('=')) throw new GateError(`bad xattr name on ${JSON.stringify(path)}`);
      if (this.opts.keepXattr(name)) xs.push([name, value]);
      else this.opts.warn(`not restoring xattr ${name} on ${path}`);
    }
    return xs;
  }
}

function paxInt(v: Buffer, key: string): number {
  const s = v.toString('latin1');
  if (!/^[0-9]{1,16}$/.test(s)) throw new GateError(`malformed pax ${key}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new GateError(`pax ${key} too large`);
  return n;
}

interface Entry {
  typeflag: string; name: string; link: string; size: number; mode: number; uid: number; gid: number;
  mtime: number | string; dev: [number, number]; xattrs: Array<[string, Buffer]>;
}

/** The canonical header(s) for one entry: a pax header only when a field does not fit ustar. */
export function encodeEntry(e: Entry): Buffer[] {
  const name = Buffer.from(e.typeflag === '5' && e.name !== '.' ? `${e.name}/` : e.name === '.' ? './' : e.name);
  const link = Buffer.from(e.link);
  const recs: Buffer[] = [];
  if (name.length > 100) recs.push(encodePaxRecord('path', name));
  if (link.length > 100) recs.push(encodePaxRecord('linkpath', link));
  if (e.uid > MAX_OCTAL_7) recs.push(encodePaxRecord('uid', Buffer.from(String(e.uid))));
  if (e.gid > MAX_OCTAL_7) recs.push(encodePaxRecord('gid', Buffer.from(String(e.gid))));
  if (e.size > MAX_OCTAL_11) recs.push(encodePaxRecord('size', Buffer.from(String(e.size))));
  let mtime = typeof e.mtime === 'number' ? e.mtime : Math.floor(Number(e.mtime));
  if (typeof e.mtime === 'string' && e.mtime.includes('.')) recs.push(encodePaxRecord('mtime', Buffer.from(e.mtime)));
  if (mtime > MAX_OCTAL_11) {
    recs.push(encodePaxRecord('mtime', Buffer.from(String(mtime))));
    mtime = 0;
  }
  for (const [k, v] of e.xattrs) recs.push(encodePaxRecord(`SCHILY.xattr.${k}`, v));
  const head = encodeHeader({
    name: name.subarray(0, 100), mode: e.mode, uid: Math.min(e.uid, MAX_OCTAL_7), gid: Math.min(e.gid, MAX_OCTAL_7),
    size: Math.min(e.size, MAX_OCTAL_11), mtime, typeflag: e.typeflag, linkname: link.subarray(0, 100),
    devmajor: Math.min(e.dev[0], MAX_OCTAL_7), devminor: Math.min(e.dev[1], MAX_OCTAL_7),
  });
  return recs.length ? [encodePaxHeader(recs), head] : [head];
}
