// --chown names resolved from the image's own /etc/passwd and /etc/group, topmost layer first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLayer } from '../../../src/image/build/layer-writer.js';
import { resolveChown } from '../../../src/image/build/chown-spec.js';

let dir: string;
let layers: string[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chown-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name.replace(/\//g, '_'));
    writeFileSync(p, text);
    return { name, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime: 0, size: Buffer.byteLength(text), source: p };
  };
  const dirEntry = { name: 'etc/', type: 'directory' as const, mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 };
  await writeLayer([dirEntry, file('etc/passwd', 'root:x:0:0::/root:/bin/sh\nold:x:5:5::/:/bin/sh\n'), file('etc/group', 'root:x:0:\nstaff:x:50:\n')], join(dir, 'l1.tgz'));
  await writeLayer([dirEntry, { ...file('etc/passwd', 'root:x:0:0::/root:/bin/sh\nweb:x:101:102::/:/bin/sh\n'), name: 'etc/passwd' }], join(dir, 'l2.tgz'));
  layers = [join(dir, 'l1.tgz'), join(dir, 'l2.tgz')];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveChown', () => {
  it('numeric ids need no lookup; a lone uid is also the gid', async () => {
    expect(await resolveChown('1000:1001', [])).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveChown('7', [])).toEqual({ uid: 7, gid: 7 });
  });
  it('names come from the topmost layer that has the file', async () => {
    expect(await resolveChown('web', layers)).toEqual({ uid: 101, gid: 102 });
    expect(await resolveChown('web:staff', layers)).toEqual({ uid: 101, gid: 50 });
    await expect(resolveChown('old', layers)).rejects.toThrow(/unable to find user old/);
    await expect(resolveChown('1:nogroup', layers)).rejects.toThrow(/unable to find group nogroup/);
  });
  it('FROM scratch has no passwd file', async () => {
    await expect(resolveChown('app', [])).rejects.toThrow(expect.objectContaining({ code: 'EBUILD' }));
  });
});
