// docker-compose 1.29 (Debian's) against `skiff system service`: a two-service project whose client
// reaches the web service by its service name on the project network; up -d, ps, logs, down.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needRoot } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';
import { startService, type Service } from '../helpers/api-service.js';

const conds = [needRoot, needCommand('umoci'), needCommand('docker-compose')];

const COMPOSE = `version: "3"
services:
  web:
    image: diamol/ch02-hello-diamol-web
    ports:
      - "8095:80"
  client:
    image: diamol/base
    command: ["sh", "-c", "while true; do wget -qO- http://web/ | grep -o 'Hello from Chapter 2!'; sleep 0.5; done"]
    depends_on:
      - web
`;

describe('docker-compose', () => {
  let store: Store | undefined;
  let svc: Service | undefined;
  let dir = '';
  beforeAll(async () => {
    if (conds.some((c) => c())) return;
    assertSuiteNetns();
    store = tempStore('skiff-e2e-compose-');
    const lab = skiff(['lab', 'load'], { env: store.env, timeout: 280_000 });
    if (lab.status !== 0) throw new Error(`lab load failed: ${lab.stderr}`);
    svc = await startService(store.root);
    dir = mkdtempSync('/tmp/skiff-compose-');
    writeFileSync(join(dir, 'docker-compose.yml'), COMPOSE);
  });
  afterAll(async () => {
    await svc?.stop();
    store?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  itWhen(conds, 'up -d, ps, logs, down of a web service and a client that finds it by name', async () => {
    const compose = (...args: string[]) => spawnSync('docker-compose', ['-p', 'chapter', ...args], {
      cwd: dir, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH!, HOME: '/root', DOCKER_HOST: `unix://${svc!.socket}` },
    });
    const up = compose('up', '-d');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stderr).toContain('Creating chapter_web_1');
    const ps = compose('ps');
    expect(ps.stdout).toMatch(/chapter_web_1\s+httpd-foreground\s+Up\s+0\.0\.0\.0:8095->80\/tcp/);
    expect(ps.stdout).toMatch(/chapter_client_1\s+.*\s+Up/);
    let logs = '';
    for (let i = 0; i < 60 && !logs.includes('Hello from Chapter 2!'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      logs = compose('logs', '--no-color', 'client').stdout;
    }
    expect(logs).toContain('client_1  | Hello from Chapter 2!');
    const down = compose('down', '-t', '1');
    expect(down.status, down.stderr).toBe(0);
    expect(down.stderr).toContain('Removing network chapter_default');
    expect(skiff(['ps', '-aq'], { env: store!.env }).stdout).toBe('');
    expect(skiff(['network', 'ls'], { env: store!.env }).stdout).not.toContain('chapter_default');
  });
});
