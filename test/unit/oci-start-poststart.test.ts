// `start` runs the poststart hooks with the container's state on stdin. A short command (runtime-tools'
// hooks_stdin runs `true`) may have ended by then: the state must still carry the init's pid, the one
// the prestart hook saw. Here the init "ends" between start's status check and the hook, deterministically:
// the store answers "created" once, "stopped" after.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { OciStore, type OciRecord } from '../../src/oci/state.js';
import type { OciStatus } from '../../src/oci/spec.js';

class EndingStore extends OciStore {
  private asked = 0;
  override status(_r: OciRecord): OciStatus { return this.asked++ === 0 ? 'created' : 'stopped'; }
}
import { start } from '../../src/oci/lifecycle.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('start → poststart', () => {
  it('passes the init\'s pid to poststart even when the init has already exited', () => {
    const dir = mkdtempSync('/tmp/skiff-oci-unit-');
    dirs.push(dir);
    const out = join(dir, 'poststart.json');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2', hooks: { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${out}`] }] },
    }));
    const pid = 4242;
    const store = new EndingStore(join(dir, 'root'));
    store.claim('short');
    store.write({ id: 'short', pid, startTime: '1', bundle: dir, created: new Date().toISOString(), owner: 0, namespaces: [] });
    // The init's byte is already in the exec fifo, as when it was released by `start`'s open and exited.
    spawnSync('mkfifo', [store.fifo('short')]);
    const w = openSync(store.fifo('short'), constants.O_RDWR | constants.O_NONBLOCK);
    writeSync(w, '0');
    try {
      start(store, 'short');
    } finally {
      closeSync(w);
    }
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ id: 'short', status: 'running', pid, bundle: dir });
  });
});
