// LogFile (the reader behind `logs`, `logs -f` and the API's attach) across json-file rotations made the
// way the supervisor makes them (PATH.1 → PATH.2, PATH → PATH.1, a new PATH; with one file, truncation):
// every line once, in order — none lost, none repeated — however many rotations fall between two reads.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogFile } from '../../src/engine/logs.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function logDir(): string {
  const d = mkdtempSync('/tmp/skiff-logrot-');
  dirs.push(d);
  return join(d, 'c-json.log');
}

const line = (n: number) => JSON.stringify({ log: `line ${n}\n`, stream: 'stdout', time: '2026-12-06T00:00:00.000000000Z' }) + '\n';
const texts = (es: Array<{ log: string }>) => es.map((e) => e.log.trim());
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => `line ${a + i}`);

/** The supervisor's rotation with max-file files kept. */
function rotate(path: string, maxFile: number): void {
  if (maxFile === 1) return truncateSync(path, 0);
  for (let i = maxFile - 1; i >= 1; i--) {
    const from = i === 1 ? path : `${path}.${i - 1}`;
    if (existsSync(from)) renameSync(from, `${path}.${i}`);
  }
  writeFileSync(path, '');
}

describe('LogFile across rotations', () => {
  it('follows one rotation: the old file to its end, then the new one from its start', () => {
    const p = logDir();
    writeFileSync(p, line(0) + line(1));
    const f = new LogFile(p);
    expect(texts(f.readAll())).toEqual(range(0, 2));
    appendFileSync(p, line(2));
    rotate(p, 3);
    appendFileSync(p, line(3) + line(4));
    expect(texts(f.readNew())).toEqual(range(2, 5));
    expect(f.readNew()).toEqual([]);
    f.close();
  });

  it('several rotations between two reads: the files in between are read once, in order', () => {
    const p = logDir();
    writeFileSync(p, line(0));
    const f = new LogFile(p);
    expect(texts(f.readAll())).toEqual(['line 0']);
    let n = 1;
    for (let r = 0; r < 3; r++) {
      appendFileSync(p, line(n++) + line(n++));
      rotate(p, 5);
    }
    appendFileSync(p, line(n++));
    expect(texts(f.readNew())).toEqual(range(1, n));
    f.close();
  });

  it('our file rotated away entirely (more rotations than max-file): the remaining files, none twice', () => {
    const p = logDir();
    writeFileSync(p, line(0));
    const f = new LogFile(p);
    f.readAll();
    for (let n = 1; n <= 6; n++) {
      appendFileSync(p, line(n));
      rotate(p, 2);
    }
    appendFileSync(p, line(7));
    // Only PATH.1 (line 6) and PATH (line 7) are left; line 1 went with our file (drained from its descriptor).
    expect(texts(f.readNew())).toEqual(['line 1', 'line 6', 'line 7']);
    f.close();
  });

  it('readAll: the rotated files first, then the live one; a rotation in the middle of the path being gone', () => {
    const p = logDir();
    writeFileSync(p, line(0));
    rotate(p, 3);
    appendFileSync(p, line(1));
    rotate(p, 3);
    appendFileSync(p, line(2));
    const f = new LogFile(p);
    expect(texts(f.readAll())).toEqual(range(0, 3));
    // Between the rename and the new file the path is missing: nothing is lost meanwhile.
    appendFileSync(p, line(3));
    renameSync(`${p}.1`, `${p}.2`);
    renameSync(p, `${p}.1`);
    expect(texts(f.readNew())).toEqual(['line 3']);
    writeFileSync(p, line(4));
    expect(texts(f.readNew())).toEqual(['line 4']);
    f.close();
  });

  it('max-file=1 truncates in place: reading starts over', () => {
    const p = logDir();
    writeFileSync(p, line(0) + line(1) + line(2));
    const f = new LogFile(p);
    expect(texts(f.readAll())).toEqual(range(0, 3));
    rotate(p, 1);
    appendFileSync(p, line(3));
    expect(texts(f.readNew())).toEqual(['line 3']);
    f.close();
  });
});
