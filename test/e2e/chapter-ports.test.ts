// The chapter's published-port commands, verbatim, as root, inside the suite's netns:
//   skiff run -d -p 8088:80 diamol/ch02-hello-diamol-web   → the page on localhost:8088
//   skiff port / PORTS column, and the hello image's `inet addr:172.17.0.x` line
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { itWhen, needRoot, needCommand } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { skiff, skiffAs, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';
import { chownSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needUserns } from '../helpers/conditions.js';
import { readUplink, stopEngineUplink } from '../../src/network/rootless/uplink.js';

const conds = [needRoot, needCommand('umoci')];
let store: Store | undefined;

function get(url: string): string {
  return execFileSync(process.execPath, ['-e',
    `require('http').get(${JSON.stringify(url)},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(r.statusCode+' '+b))}).on('error',e=>console.log('ERR '+e.code))`], { encoding: 'utf8', timeout: 15_000 }).trim();
}

function nftTable(): string {
  try {
    return execFileSync('nft', ['list', 'table', 'ip', 'skiff'], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

describe('chapter 2: published ports', () => {
  beforeAll(() => {
    if (conds.some((c) => c())) return;
    assertSuiteNetns();
    store = tempStore('skiff-e2e-ports-');
    const lab = skiff(['lab', 'load'], { env: store.env, timeout: 280_000 });
    if (lab.status !== 0) throw new Error(`lab load failed: ${lab.stderr}`);
  });
  afterAll(() => {
    if (store) skiff(['rm', '-f', 'web8088'], { env: store.env });
    store?.dispose();
  });

  itWhen(conds, 'run -d -p 8088:80 serves the page on localhost:8088; port and ps show it; rm -f removes it all', () => {
    const env = store!.env;
    const run = skiff(['run', '-d', '--name', 'web8088', '-p', '8088:80', 'diamol/ch02-hello-diamol-web'], { env });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    let page = '';
    for (let i = 0; i < 50 && !page.startsWith('200'); i++) {
      page = get('http://127.0.0.1:8088/');
      if (!page.startsWith('200')) execFileSync('sleep', ['0.1']);
    }
    expect(page).toMatch(/^200 /);
    expect(page).toContain('Hello from Chapter 2!');
    expect(skiff(['port', 'web8088'], { env }).stdout).toBe('80/tcp -> 0.0.0.0:8088\n');
    expect(skiff(['container', 'port', 'web8088', '80/tcp'], { env }).stdout).toBe('0.0.0.0:8088\n');
    const none = skiff(['port', 'web8088', '81'], { env });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("No public port '81/tcp' published for web8088");
    expect(skiff(['ps'], { env }).stdout).toContain('0.0.0.0:8088->80/tcp');
    // the same port again: refused before anything is made
    const again = skiff(['run', '-d', '-p', '8088:80', 'diamol/ch02-hello-diamol-web'], { env });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('8088');
    expect(skiff(['rm', '-f', 'web8088'], { env }).status).toBe(0);
    expect(get('http://127.0.0.1:8088/')).toMatch(/^ERR/);
    expect(nftTable()).not.toMatch(/dnat to/);
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain('veth');
  });

  itWhen(conds, 'hello-diamol shows its real eth0 address', () => {
    const r = skiff(['container', 'run', '--rm', 'diamol/ch02-hello-diamol'], { env: store!.env });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/inet addr:172\.17\.0\.\d+\s+Bcast:172\.17\.255\.255\s+Mask:255\.255\.0\.0/);
  });

  itWhen([...conds, needUserns, needCommand('slirp4netns'), needCommand('setpriv')], 'rootless: an ordinary user publishes 8089:80 through skiff-portfwd and the page answers on localhost', async () => {
    const user = ensureTestUser(true);
    const st = tempStore('skiff-e2e-rl-');
    chownSync(st.root, user.uid, user.gid);
    const env = st.env;
    try {
      expect(skiffAs(user, ['lab', 'load'], env).status).toBe(0);
      const run = skiffAs(user, ['run', '-d', '--name', 'rlweb', '-p', '8089:80', 'diamol/ch02-hello-diamol-web'], env);
      expect(run.stderr).toBe('');
      let page = '';
      for (let i = 0; i < 50 && !page.startsWith('200'); i++) {
        page = get('http://127.0.0.1:8089/');
        if (!page.startsWith('200')) execFileSync('sleep', ['0.1']);
      }
      expect(page).toContain('Hello from Chapter 2!');
      expect(skiffAs(user, ['port', 'rlweb'], env).stdout).toBe('80/tcp -> 0.0.0.0:8089\n');
      // the port is held by the user's skiff-portfwd, in this (the host's) netns
      expect(execFileSync('ss', ['-Htlnp', 'sport = :8089'], { encoding: 'utf8' })).toContain('skiff-portfwd');
      // a host port someone else holds: the same clear error and exit code as rootful
      const blocker = createServer().listen(8090, '0.0.0.0');
      await once(blocker, 'listening');
      try {
        const busy = skiffAs(user, ['run', '-d', '-p', '8090:80', 'diamol/ch02-hello-diamol-web'], env);
        expect(busy.status).toBe(125);
        expect(busy.stderr).toContain('port 0.0.0.0:8090/tcp is already in use');
      } finally {
        blocker.close();
      }
      const hello = skiffAs(user, ['run', '--rm', 'diamol/ch02-hello-diamol'], env);
      expect(hello.stdout).toMatch(/inet addr:172\.17\.0\.\d+\s+Bcast:172\.17\.255\.255\s+Mask:255\.255\.0\.0/);
      expect(skiffAs(user, ['rm', '-f', 'rlweb'], env).status).toBe(0);
      expect(get('http://127.0.0.1:8089/')).toMatch(/^ERR/);
      // rm freed the host port: another process may bind it at once
      const reuse = createServer().listen(8089, '0.0.0.0');
      await once(reuse, 'listening');
      reuse.close();
    } finally {
      // end the engine: its holder, and the slirp4netns and skiff-portfwd attached to it
      const run = join(st.root, 'run');
      const up = readUplink(run);
      if (up) stopEngineUplink(up, run);
      try {
        process.kill(Number(readFileSync(join(run, 'engine.pid'), 'utf8').split(' ')[0]), 'SIGKILL');
      } catch { /* not started */ }
      st.dispose();
    }
  });
});
