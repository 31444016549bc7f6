// `skiff build` end to end: FROM a store image, RUN executed as a real container, COPY from the
// context, CMD — then `skiff run` of the result; a failing RUN leaves no image behind.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needRoot } from '../helpers/conditions.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';

let store: Store;
let ctx: string;
beforeAll(() => {
  store = tempStore('skiff-build-');
  ctx = mkdtempSync('/tmp/skiff-ctx-');
});
afterAll(() => {
  store?.dispose();
  rmSync(ctx, { recursive: true, force: true });
});

describe('skiff build', () => {
  itWhen([needRoot], 'builds FROM/RUN/COPY/ENV/WORKDIR/CMD and the image runs', () => {
    writeFileSync(join(ctx, 'note.txt'), 'copied from the context\n');
    writeFileSync(join(ctx, 'Dockerfile'), [
      'FROM diamol/base',
      'ENV GREETING=built',
      'WORKDIR /app',
      'RUN echo "made by RUN as $(id -u)" > /app/run.txt && rm /etc/hostname',
      'COPY note.txt /app/',
      'CMD ["sh", "-c", "echo $GREETING; cat run.txt note.txt; ls /etc/hostname"]',
    ].join('\n'));
    const b = skiff(['build', '-t', 'lab/built:1', ctx], { env: store.env });
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/Step 1\/6 : FROM diamol\/base/);
    expect(b.stdout).toMatch(/Successfully tagged lab\/built:1/);
    expect(skiff(['images'], { env: store.env }).stdout).toMatch(/lab\/built\s+1\s/);
    const r = skiff(['run', '--rm', '--network', 'none', 'lab/built:1'], { env: store.env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('built\nmade by RUN as 0\ncopied from the context\n');
  }, 120_000);

  itWhen([needRoot], 'a failing RUN is a one-line error, exits with the command\'s code (as docker build does) and no image is made', () => {
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM diamol/base\nRUN exit 3\n');
    const before = skiff(['images', '-q'], { env: store.env }).stdout;
    const b = skiff(['build', '-t', 'lab/broken', ctx], { env: store.env });
    expect(b.status).toBe(3);
    expect(b.stderr).toContain("returned a non-zero code: 3");
    expect(skiff(['images', '-q'], { env: store.env }).stdout).toBe(before);
  }, 60_000);
});
