// save → load round trips (docker-archive and OCI layout, plain/gzip/zstd), interop with skopeo's
// docker-archive, and malformed or malicious archives refused with nothing left behind.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand } from '../helpers/conditions.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';
import { skopeoCopy, umociImage } from '../helpers/registry.js';

const needs = [needCommand('skopeo'), needCommand('umoci'), needCommand('zstd')];
const haveTools = needs.every((c) => c() === undefined);
let work: string;
const stores: Store[] = [];
function store(): Store {
  const s = tempStore('skiff-sl-');
  stores.push(s);
  return s;
}
const list = (s: Store, d: string) => (existsSync(join(s.root, d)) ? readdirSync(join(s.root, d)).filter((n) => !n.endsWith('.lock')) : []);
const imageId = (s: Store, name: string) => JSON.parse(skiff(['image', 'inspect', name], { env: s.env }).stdout)[0].Id as string;

/** One ustar entry, hand-made so the test can write names no tar tool would (`../x`). */
function tarEntry(name: string, body: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}
const tarOf = (entries: [string, Buffer][]) => Buffer.concat([...entries.map(([n, b]) => tarEntry(n, b)), Buffer.alloc(1024)]);

function expectNothingLeft(s: Store): void {
  expect(list(s, 'blobs/sha256')).toEqual([]);
  expect(list(s, 'layers').filter((n) => !n.startsWith('.'))).toEqual([]);
  expect(list(s, 'tmp')).toEqual([]);
  expect(list(s, 'images')).toEqual([]);
}

describe('save and load', () => {
  beforeAll(async () => {
    if (!haveTools) return;
    work = mkdtempSync('/tmp/skiff-sl-');
    umociImage(join(work, 'layout'), 'latest', [{ 'etc/a.txt': 'one\n' }, { 'etc/b.txt': 'two\n' }], { cmd: '/bin/sh' });
    await skopeoCopy(`oci:${join(work, 'layout')}:latest`, `docker-archive:${join(work, 'skopeo.tar')}:test/hello:v1`);
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    for (const s of stores) s.dispose();
  });

  itWhen(needs, 'loads skopeo\'s docker-archive; save → load round trips keep the image id', async () => {
    const a = store();
    const l = skiff(['load', '-i', join(work, 'skopeo.tar')], { env: a.env });
    expect(l.stderr).toBe('');
    expect(l.stdout.trim()).toBe('Loaded image: test/hello:v1');
    const id = imageId(a, 'test/hello:v1');
    for (const [format, compress] of [['docker-archive', 'none'], ['oci', 'gzip'], ['docker-archive', 'zstd']] as const) {
      const out = join(work, `saved-${format}.tar`);
      const sv = skiff(['save', '--format', format, '-o', out, 'test/hello:v1'], { env: a.env });
      expect(sv.stderr).toBe('');
      let file = out;
      if (compress === 'gzip') execFileSync('gzip', ['-kf', out]), (file = `${out}.gz`);
      if (compress === 'zstd') execFileSync('zstd', ['-qf', out, '-o', `${out}.zst`]), (file = `${out}.zst`);
      const b = store();
      const r = skiff(['load', '-i', file], { env: b.env });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('Loaded image: test/hello:v1');
      expect(imageId(b, 'test/hello:v1')).toBe(id);
      expect(list(b, 'tmp')).toEqual([]);
    }
    // what skiff saved, skopeo reads
    const oci = join(work, 'from-skiff');
    await skopeoCopy(`docker-archive:${join(work, 'saved-docker-archive.tar')}`, `oci:${oci}:x`);
    expect(existsSync(join(oci, 'index.json'))).toBe(true);
  });

  itWhen(needs, 'load from stdin', () => {
    const s = store();
    const r = execFileSync('sh', ['-c', `bin/skiff load < ${join(work, 'skopeo.tar')}`], { env: { ...process.env, ...s.env }, encoding: 'utf8' });
    expect(r.trim()).toBe('Loaded image: test/hello:v1');
  });

  itWhen(needs, 'garbage, an incomplete archive and an escaping layer are refused; nothing is left', () => {
    const cases: [string, Buffer, RegExp][] = [];
    cases.push(['garbage.tar', Buffer.from('this is not a tar file at all\n'.repeat(40)), /ELAYER|not a valid tar|empty or not a tar/]);
    const cfg = (diff: string) => Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diff] } }));
    const layer = tarOf([['etc/ok.txt', Buffer.from('ok\n')]]);
    const diff = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    cases.push(['missing-layer.tar', tarOf([['manifest.json', Buffer.from(JSON.stringify([{ Config: 'c.json', RepoTags: ['x/y:z'], Layers: ['nope/layer.tar'] }]))], ['c.json', cfg(diff)]]), /does not contain/]);
    cases.push(['outside.tar', tarOf([['manifest.json', Buffer.from(JSON.stringify([{ Config: '../../etc/passwd', RepoTags: ['x/y:z'], Layers: [] }]))]]), /outside the archive|malformed/]);
    const evil = tarOf([['../../escaped.txt', Buffer.from('pwned\n')]]);
    const evilDiff = `sha256:${createHash('sha256').update(evil).digest('hex')}`;
    cases.push(['escape.tar', tarOf([['manifest.json', Buffer.from(JSON.stringify([{ Config: 'c.json', RepoTags: ['x/evil:1'], Layers: ['l/layer.tar'] }]))], ['c.json', cfg(evilDiff)], ['l/layer.tar', evil]]), /.+/]);
    for (const [name, bytes, msg] of cases) {
      const s = store();
      const f = join(work, name);
      writeFileSync(f, bytes);
      const r = skiff(['load', '-i', f], { env: s.env });
      expect(r.status, name).toBe(1);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(r.stderr, name).toMatch(msg);
      expect(r.stderr, name).toMatch(/^skiff: /);
      expectNothingLeft(s);
      expect(existsSync(join(s.root, '..', 'escaped.txt'))).toBe(false);
    }
  });
});
