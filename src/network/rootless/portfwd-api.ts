// The engine's side of skiff-portfwd's control socket (native-bindings/portfwd/control.c): one text
// request per connection, one reply. skiff-portfwd binds published TCP ports in the host's netns and
// splices each connection to a socket made inside the engine's netns (docs/networking.md).
import { connect } from 'node:net';
import { SkiffError } from '../../errors.js';
import { trace } from '../../trace.js';

interface PortfwdReply { ok: boolean; words: string[]; lines: string[]; errno?: string; text?: string }

export function portfwdRequest(socket: string, line: string, timeoutMs = 5000): Promise<PortfwdReply> {
  trace.step('helper', `skiff-portfwd ${line}`, 'rootless TCP port forwarding across the engine namespace');
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new SkiffError('ENETWORK', `skiff-portfwd did not answer "${line}"`, 'the rootless port forwarder may be stuck: restart the engine'));
    }, timeoutMs);
    s.on('connect', () => s.end(`${line}\n`));
    s.on('data', (d) => chunks.push(d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(new SkiffError('ENETWORK', `cannot reach skiff-portfwd at ${socket}: ${e.message}`, 'the rootless port forwarder is not running: restart the engine', { cause: e }));
    });
    s.on('close', () => {
      clearTimeout(timer);
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
      const head = lines.shift() ?? '';
      const words = head.split(' ');
      if (words[0] === 'ok') return resolve({ ok: true, words: words.slice(1), lines });
      if (words[0] === 'err') return resolve({ ok: false, words: [], lines, errno: words[1] ?? '', text: words.slice(2).join(' ') });
      reject(new SkiffError('ENETWORK', `skiff-portfwd gave an unreadable answer to "${line}": ${head.slice(0, 100)}`, 'rebuild the native helpers (npm run build:native)'));
    });
  });
}
