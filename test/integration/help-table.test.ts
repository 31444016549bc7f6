// `docker --help`'s command table, row by row, against `skiff --help`: every docker command is one of
// skiff's with the same one-line description (Docker → skiff), or it is listed in the table "docker
// --help, row by row" of docs/docker-compatibility.md with why. A listed row that skiff now has the
// same way fails too, so the list never goes stale.
import { describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { itWhen, needFile } from '../helpers/conditions.js';
import { SKIFF } from '../helpers/skiff.js';

const DOCKER = '/usr/local/bin/docker';

/** `name → description` of a help text's command sections (docker's four, skiff's one). */
function commandRows(help: string): Map<string, string> {
  const rows = new Map<string, string>();
  let inTable = false;
  for (const line of help.split('\n')) {
    if (/^(Common |Management |Swarm )?Commands:$/.test(line)) inTable = true;
    else if (line.trim() === '') inTable = false;
    else if (inTable) {
      // docker: `  run         Create and run…`; skiff (commander): `  run [options] <image> [command...]   create and run…`
      const m = /^ {2}([a-z][a-z-]*)(?: [^ ].*?)?\s{2,}(\S.*)$/.exec(line);
      if (m) rows.set(m[1]!, m[2]!);
    }
  }
  return rows;
}

/** The rows docs/docker-compatibility.md lists as missing or different, with their reasons. */
function listedRows(): Map<string, { status: string; why: string }> {
  const doc = readFileSync('docs/docker-compatibility.md', 'utf8');
  const section = doc.split('## `docker --help`, row by row')[1]?.split('\n## ')[0] ?? '';
  const out = new Map<string, { status: string; why: string }>();
  for (const m of section.matchAll(/^\| `([a-z-]+)` \| (missing|differs) \| (.+) \|$/gm)) out.set(m[1]!, { status: m[2]!, why: m[3]! });
  return out;
}

const same = (docker: string, skiff: string) => docker.replace(/\bDocker\b/g, 'skiff').toLowerCase() === skiff.toLowerCase();

describe('docker --help, row by row', () => {
  itWhen([needFile(DOCKER)], 'every docker command is skiff\'s with the same description, or listed with why', () => {
    // No daemon is needed for the help text; an unreachable socket keeps the CLI from looking for one.
    const d = spawnSync(DOCKER, ['--help'], { encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: '/tmp', DOCKER_HOST: 'unix:///nonexistent' } });
    const s = spawnSync(SKIFF, ['--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '400' } });
    expect(d.status).toBe(0);
    expect(s.status).toBe(0);
    const docker = commandRows(d.stdout);
    const skiff = commandRows(s.stdout);
    const listed = listedRows();
    // The table really was read: docker 28 has 50-odd commands, and the docs list a dozen.
    expect(docker.size).toBeGreaterThan(40);
    expect(listed.size).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const [name, text] of docker) {
      const mine = skiff.get(name);
      const entry = listed.get(name);
      const actual = mine === undefined ? 'missing' : same(text, mine) ? 'same' : 'differs';
      if (actual === 'same' && entry) problems.push(`${name}: listed as ${entry.status} in the docs, but skiff has it as docker does`);
      if (actual !== 'same' && entry?.status !== actual) problems.push(`${name}: ${actual} (docker: "${text}", skiff: "${mine ?? ''}") and not listed as ${actual} in docs/docker-compatibility.md`);
    }
    for (const name of listed.keys()) if (!docker.has(name)) problems.push(`${name}: listed in the docs but not a row of docker --help`);
    expect(problems).toEqual([]);
  });
});
