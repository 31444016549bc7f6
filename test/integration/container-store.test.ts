// The container store on a real filesystem with real flock locks and real processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { itWhen, needRoot } from '../helpers/conditions.js';
import { tempStore, type Store } from '../helpers/skiff.js';
import { exitedContainer, killSleepers, runningContainer, spec, spawnSleeper, useStore, writeExitFile } from '../helpers/fake-containers.js';
import {
  containerDir, createContainer, deleteContainerRecord, listContainerIds, readConfig, readState, renameContainer, resolveContainer, updateState,
} from '../../src/state/containers.js';
import { listContainers, refreshState } from '../../src/state/liveness.js';
import { nameOwner, namesDir } from '../../src/state/name-registry.js';
import { isProcessAlive } from '../../src/kernel/process-identity.js';
import { storePaths } from '../../src/state/paths.js';

let store: Store;
beforeAll(() => {
  store = tempStore();
  useStore(store.root);
});
afterAll(() => {
  killSleepers();
  store.dispose();
});

describe('create', () => {
  it('writes config.json and state.json with a Docker-shaped id, name and time', async () => {
    const r = await createContainer(spec({ Name: 'first' }));
    expect(r.config.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(r.config.Name).toBe('first');
    expect(r.config.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(readConfig(r.config.Id)).toEqual(r.config);
    expect(readState(r.config.Id)).toMatchObject({ Status: 'created', Running: false, FinishedAt: '0001-01-01T00:00:00Z' });
    expect(readdirSync(containerDir(r.config.Id)).sort()).toEqual(['config.json', 'state.json']);
  });

  it('gives a random adjective_surname name when none is asked for', async () => {
    const r = await createContainer(spec());
    expect(r.config.Name).toMatch(/^[a-z]+_[a-z]+$/);
    expect(nameOwner(r.config.Name)).toBe(r.config.Id);
  });

  it('refuses a taken name with Docker\'s message and leaves nothing behind', async () => {
    const before = listContainerIds().length;
    const owner = resolveContainer('first');
    await expect(createContainer(spec({ Name: '/first' }))).rejects.toMatchObject({
      code: 'ENAMEINUSE',
    });
    await createContainer(spec({ Name: 'first' })).catch((e) => {
      expect(e.oneLine()).toBe(`Conflict. The container name "/first" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
    });
    expect(listContainerIds().length).toBe(before);
    expect(readdirSync(storePaths().containers).filter((n) => !n.startsWith('.')).length).toBe(before);
  });

  it('refuses an invalid name before touching the disk', async () => {
    const before = readdirSync(storePaths().containers).length;
    await expect(createContainer(spec({ Name: '../evil' }))).rejects.toMatchObject({ code: 'EUSAGE' });
    await expect(createContainer(spec({ Name: 'a b' }))).rejects.toThrow(/Invalid container name \(a b\)/);
    expect(readdirSync(storePaths().containers).length).toBe(before);
    expect(existsSync(join(namesDir(), '..', 'evil'))).toBe(false);
  });

  it('20 parallel creates of one name in one process: exactly one wins', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => createContainer(spec({ Name: 'race' }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(losers).toHaveLength(19);
    for (const l of losers) expect(l.reason.code).toBe('ENAMEINUSE');
    expect((await listContainers()).filter((c) => c.config.Name === 'race')).toHaveLength(1);
  });

  it('20 parallel creates of one name from 20 processes: exactly one wins', async () => {
    // One small bundle, run by 20 plain Node processes: as many CLIs racing as the machine allows.
    // Inside the project, so the bundle's `import 'ffi-rs'` resolves from node_modules.
    const racer = join(process.cwd(), 'node_modules', '.cache', `skiff-racer-${process.pid}.mjs`);
    await build({
      stdin: {
        contents: `import { createContainer } from './src/state/containers.ts';
          import { spec } from './test/helpers/fake-containers.ts';
          createContainer(spec({ Name: 'procrace' })).then(() => console.log('won'), (e) => console.log(e.code));`,
        resolveDir: process.cwd(), loader: 'ts',
      },
      bundle: true, platform: 'node', format: 'esm', outfile: racer, external: ['ffi-rs'], logLevel: 'error',
      banner: { js: "import { createRequire as bannerCreateRequire } from 'node:module'; const require = bannerCreateRequire(import.meta.url);" },
    });
    const runs = await Promise.all(Array.from({ length: 20 }, () => new Promise<string>((resolve) => {
      const p = spawn(process.execPath, [racer], { env: { ...process.env, SKIFF_ROOT: store.root} });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', () => resolve(out.trim()));
    })));
    rmSync(racer, { force: true });
    expect(runs.filter((r) => r === 'won'), runs.join(' | ')).toHaveLength(1);
    expect(runs.filter((r) => r === 'ENAMEINUSE')).toHaveLength(19);
    const named = (await listContainers()).filter((c) => c.config.Name === 'procrace');
    expect(named).toHaveLength(1);
  }, 180_000);
});

describe('resolve', () => {
  it('by full id, unique prefix, name and /name; missing and ambiguous refs fail', async () => {
    const r = await createContainer(spec({ Name: 'findme' }));
    const id = r.config.Id;
    expect(resolveContainer(id)).toBe(id);
    expect(resolveContainer(id.slice(0, 12))).toBe(id);
    expect(resolveContainer('findme')).toBe(id);
    expect(resolveContainer('/findme')).toBe(id);
    expect(() => resolveContainer('nosuch')).toThrow('No such container: nosuch');
    expect(() => resolveContainer('../../etc/passwd')).toThrow('No such container');
    // Enough containers exist that some one-hex-digit prefix is shared.
    const counts = new Map<string, number>();
    for (const i of listContainerIds()) counts.set(i[0]!, (counts.get(i[0]!) ?? 0) + 1);
    while (![...counts.values()].some((n) => n > 1)) {
      const extra = await createContainer(spec());
      counts.set(extra.config.Id[0]!, (counts.get(extra.config.Id[0]!) ?? 0) + 1);
    }
    const shared = [...counts.entries()].find(([, n]) => n > 1)![0];
    expect(() => resolveContainer(shared)).toThrow(`multiple IDs found with provided prefix: ${shared}`);
  });
});

describe('liveness', () => {
  it('a running container whose process is alive stays running', async () => {
    const r = await runningContainer();
    expect((await refreshState(r.config.Id)).Status).toBe('running');
  });

  it('kill -9 of the process with no exit file: exited 255 "shim died"', async () => {
    const r = await runningContainer();
    r.sleeper.child.kill('SIGKILL');
    await new Promise((res) => r.sleeper.child.once('exit', res));
    expect(isProcessAlive(r.sleeper.pid, r.sleeper.start)).toBe(false);
    const s = await refreshState(r.config.Id);
    expect(s).toMatchObject({ Status: 'exited', Running: false, ExitCode: 255, Error: 'shim died', Pid: 0, ShimPid: 0 });
    expect(s.FinishedAt).not.toBe('0001-01-01T00:00:00Z');
    expect(readState(r.config.Id).Status).toBe('exited'); // written, not only computed
  });

  it('the shim\'s exit file gives the real exit code and time', async () => {
    const r = await runningContainer();
    writeExitFile(r.config.Id, 3, '2026-11-25T12:00:01.000000001Z');
    r.sleeper.child.kill('SIGKILL');
    await new Promise((res) => r.sleeper.child.once('exit', res));
    expect(await refreshState(r.config.Id)).toMatchObject({ Status: 'exited', ExitCode: 3, Error: '', FinishedAt: '2026-11-25T12:00:01.000000001Z' });
  });

  it('a reused pid (same pid, other start time) is not mistaken for the container', async () => {
    const r = await runningContainer();
    const other = spawnSleeper();
    await updateState(r.config.Id, (s) => ({ ...s, Pid: other.pid, PidStart: String(Number(other.start) - 1), ShimPid: other.pid, ShimPidStart: String(Number(other.start) - 1) }));
    expect((await refreshState(r.config.Id)).Status).toBe('exited');
    expect(isProcessAlive(other.pid)).toBe(true);
  });

  it('a zombie counts as gone', async () => {
    // A child of a stopped-from-reaping parent: sh starts sleep 0, then sleeps itself without waiting.
    const sh = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zpid = Number(await new Promise<string>((res) => sh.stdout.once('data', (d) => res(String(d).trim()))));
    for (let i = 0; i < 100 && isProcessAlive(zpid); i++) await new Promise((res) => setTimeout(res, 20));
    expect(readFileSync(`/proc/${zpid}/stat`, 'utf8')).toMatch(/\) Z /);
    expect(isProcessAlive(zpid)).toBe(false);
    sh.kill('SIGKILL');
  });

  it('list refreshes every record and sorts newest first', async () => {
    const a = await exitedContainer(0);
    const b = await runningContainer();
    b.sleeper.child.kill('SIGKILL');
    await new Promise((res) => b.sleeper.child.once('exit', res));
    const all = await listContainers();
    expect(all[0]!.config.Id).toBe(b.config.Id);
    expect(all[0]!.state.Status).toBe('exited');
    expect(all[1]!.config.Id).toBe(a.config.Id);
  });
});

describe('rename and delete', () => {
  it('rename moves the name; the old one is free again', async () => {
    const r = await createContainer(spec({ Name: 'old-name' }));
    await renameContainer(r.config.Id, 'new-name');
    expect(readConfig(r.config.Id).Name).toBe('new-name');
    expect(resolveContainer('new-name')).toBe(r.config.Id);
    expect(() => resolveContainer('old-name')).toThrow('No such container');
    await createContainer(spec({ Name: 'old-name' }));
    await expect(renameContainer(r.config.Id, 'old-name')).rejects.toMatchObject({ code: 'ENAMEINUSE' });
    await expect(renameContainer(r.config.Id, 'new-name')).rejects.toThrow(/same name/);
  });

  it('delete removes the directory and releases the name', async () => {
    const r = await createContainer(spec({ Name: 'doomed' }));
    await deleteContainerRecord(r.config.Id);
    expect(existsSync(containerDir(r.config.Id))).toBe(false);
    expect(readdirSync(storePaths().containers).some((n) => n.includes(r.config.Id))).toBe(false);
    expect(existsSync(join(namesDir(), 'doomed'))).toBe(false);
    await createContainer(spec({ Name: 'doomed' }));
  });

  it('a name left by a crashed create or rm (owner without config.json) is taken over', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(namesDir(), { recursive: true });
    writeFileSync(join(namesDir(), 'ghost'), 'f'.repeat(64) + '\n');
    const r = await createContainer(spec({ Name: 'ghost' }));
    expect(resolveContainer('ghost')).toBe(r.config.Id);
  });

  itWhen([needRoot], 'refuses to delete a record that still has a mount inside, and deletes nothing', async () => {
    const r = await createContainer(spec({ Name: 'mounted' }));
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const merged = join(containerDir(r.config.Id), 'merged');
    mkdirSync(merged);
    expect(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', merged]).status).toBe(0);
    try {
      writeFileSync(join(merged, 'precious'), 'x');
      await expect(deleteContainerRecord(r.config.Id)).rejects.toMatchObject({ code: 'ESTATE' });
      expect(existsSync(join(merged, 'precious'))).toBe(true);
      expect(resolveContainer('mounted')).toBe(r.config.Id);
    } finally {
      spawnSync('umount', [merged]);
    }
    await deleteContainerRecord(r.config.Id);
    expect(existsSync(containerDir(r.config.Id))).toBe(false);
  });
});
