// `push`: upload an image's blobs (config and layers, skipping those the registry has) and then its
// manifest, byte for byte as stored, so the pushed digest equals the local manifest digest.
//   The push refers to repository [127.0.0.1:5000/lab/hello]
//   93931504196e: Pushed | Layer already exists
//   latest: digest: sha256:… size: 735
import { createReadStream } from 'node:fs';
import { SkiffError } from '../errors.js';
import { blobPath, readBlob } from './blobs.js';
import type { Progress } from './progress.js';
import { fullName, parseReference } from './reference.js';
import { RegistryClient } from './registry/client.js';
import type { Credentials } from './registry/credentials.js';
import { findImage } from './store.js';

/** `credentials` (the Engine API's X-Registry-Auth) replace the ones `skiff login` stored. */
export async function pushImage(input: string, progress: Progress, opts: { insecureRegistries?: string[]; credentials?: Credentials } = {}): Promise<{ digest: string; tag: string; size: number }> {
  const ref = parseReference(input);
  const record = findImage(input);
  if (!record) throw new SkiffError('ENOIMAGE', `An image does not exist locally with the tag: ${fullName(ref)}`, `tag an image first: skiff tag IMAGE ${input}`);
  const tag = ref.tag ?? 'latest';
  progress.line(`The push refers to repository [${fullName(ref)}]`);
  const client = new RegistryClient(ref.domain, { ...(opts.insecureRegistries ? { insecureRegistries: opts.insecureRegistries } : {}), ...(opts.credentials ? { credentials: opts.credentials } : {}) });
  const blobs = [...record.layers].reverse();
  for (const l of blobs) progress.layer(l.digest.slice(7, 19), 'Preparing');
  for (const l of blobs) {
    const id = l.digest.slice(7, 19);
    if (await client.hasBlob(ref.path, l.digest, 'pull,push')) {
      progress.layer(id, 'Layer already exists');
      continue;
    }
    progress.layer(id, 'Pushing');
    await client.uploadBlob(ref.path, l.digest, l.size, () => createReadStream(blobPath(l.digest), { highWaterMark: 1 << 20 }));
    progress.layer(id, 'Pushed');
  }
  if (!(await client.hasBlob(ref.path, record.config.digest, 'pull,push'))) {
    await client.uploadBlob(ref.path, record.config.digest, record.config.size, () => createReadStream(blobPath(record.config.digest)));
  }
  const manifest = readBlob(record.manifest.digest);
  const digest = await client.putManifest(ref.path, tag, record.manifest.mediaType, manifest);
  progress.line(`${tag}: digest: ${digest} size: ${manifest.length}`);
  progress.done();
  return { digest, tag, size: manifest.length };
}
