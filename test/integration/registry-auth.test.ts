// Authentication against a real docker-registry: htpasswd (Basic) and token auth (Bearer, the
// WWW-Authenticate challenge flow Docker Hub uses) with a token server run by this test.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand } from '../helpers/conditions.js';
import { tempStore, type Store } from '../helpers/skiff.js';
import { skiffAsync } from '../helpers/skiff-async.js';
import { startRegistry, skopeoCopy, umociImage, type Registry } from '../helpers/registry.js';

const needs = [needCommand('docker-registry'), needCommand('skopeo'), needCommand('umoci'), needCommand('htpasswd'), needCommand('openssl')];
const haveTools = needs.every((c) => c() === undefined);

for (const kind of ['htpasswd', 'token'] as const) {
  describe(`registry auth: ${kind}`, () => {
    let reg: Registry;
    let seed: string;
    let s: Store;
    beforeAll(async () => {
      if (!haveTools) return;
      reg = await startRegistry({ kind, user: 'alice', password: 's3cret' });
      seed = mkdtempSync('/tmp/skiff-seed-');
      umociImage(join(seed, 'img'), 'latest', [{ 'hello.txt': `${kind}\n` }]);
      await skopeoCopy(`oci:${join(seed, 'img')}:latest`, `docker://${reg.host}/priv/img:latest`, ['--dest-creds', 'alice:s3cret']);
      s = tempStore('skiff-auth-');
    });
    afterAll(async () => {
      await reg?.stop();
      if (seed) rmSync(seed, { recursive: true, force: true });
      s?.dispose();
    });

    itWhen(needs, 'anonymous pull is refused with a hint to log in', async () => {
      const r = await skiffAsync(['pull', `${reg.host}/priv/img`], { env: s.env });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toMatch(new RegExp(`^skiff: .*(requires a login|refused to issue a token|authentication required).*skiff login ${reg.host.replace(/\./g, '\\.')}`));
    });

    itWhen(needs, 'a wrong password does not log in and stores nothing', async () => {
      const r = await skiffAsync(['login', '-u', 'alice', '--password-stdin', reg.host], { env: s.env, input: 'wrong\n' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/EAUTH|refused|authentication|denied|password/i);
      expect(() => statSync(join(s.root, 'auth.json'))).toThrow();
    });

    itWhen(needs, 'login stores 0600 credentials; pull and push work; logout removes them', async () => {
      const l = await skiffAsync(['login', '-u', 'alice', '--password-stdin', reg.host], { env: s.env, input: 's3cret\n' });
      expect(l.stderr).toBe('');
      expect(l.stdout).toContain('Login Succeeded');
      const st = statSync(join(s.root, 'auth.json'));
      expect(st.mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(join(s.root, 'auth.json'), 'utf8')).auths[reg.host].auth).toBe(Buffer.from('alice:s3cret').toString('base64'));
      const p = await skiffAsync(['pull', `${reg.host}/priv/img`], { env: s.env });
      expect(p.stderr).toBe('');
      expect(p.stdout).toContain(`Status: Downloaded newer image for ${reg.host}/priv/img:latest`);
      expect((await skiffAsync(['tag', `${reg.host}/priv/img`, `${reg.host}/priv/copy:v2`], { env: s.env })).status).toBe(0);
      const push = await skiffAsync(['push', `${reg.host}/priv/copy:v2`], { env: s.env });
      expect(push.stderr).toBe('');
      expect(push.stdout).toMatch(/^v2: digest: sha256:[a-f0-9]{64} size: \d+$/m);
      const out = await skiffAsync(['logout', reg.host], { env: s.env });
      expect(out.stdout.trim()).toBe(`Removing login credentials for ${reg.host}`);
      const again = await skiffAsync(['pull', `${reg.host}/priv/copy:v2`], { env: s.env });
      expect(again.status).toBe(1);
    });
  });
}
