// slirp4netns's API socket (--api-socket): one JSON request per connection, one JSON reply.
// add_hostfwd makes slirp4netns bind the host port in the host's netns and forward what arrives
// to the guest address inside the engine's netns — the rootless crossing for published ports.
import { connect } from 'node:net';
import { SkiffError } from '../../errors.js';
import { trace } from '../../trace.js';

export interface SlirpReply { return?: Record<string, unknown>; error?: { desc?: string } }

export function slirpRequest(apiSocket: string, execute: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<SlirpReply> {
  trace.step('helper', `slirp4netns ${execute} ${args ? JSON.stringify(args) : ''}`, 'rootless port forwarding across the engine namespace');
  return new Promise((resolve, reject) => {
    const s = connect(apiSocket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new SkiffError('ENETWORK', `slirp4netns did not answer ${execute}`, 'the rootless network helper may be stuck: restart the engine'));
    }, timeoutMs);
    s.on('connect', () => {
      s.write(JSON.stringify(args ? { execute, arguments: args } : { execute }));
      s.end(); // slirp4netns reads until EOF, then answers
    });
    s.on('data', (d) => chunks.push(d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(new SkiffError('ENETWORK', `cannot reach slirp4netns at ${apiSocket}: ${e.message}`, 'the rootless engine uplink is not running: restart the engine', { cause: e }));
    });
    s.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8').trim();
      try {
        resolve(JSON.parse(text) as SlirpReply);
      } catch {
        reject(new SkiffError('ENETWORK', `slirp4netns gave an unreadable answer to ${execute}: ${text.slice(0, 100)}`, 'check the slirp4netns version (≥ 0.4 has the API)'));
      }
    });
  });
}
