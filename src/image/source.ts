// Where a pull reads from: a registry, or an OCI image layout on disk (the offline lab mirror,
// `skiff load`). Pulling is the same for both: manifest → platform → config → layers, verified.
import type { Descriptor } from './oci-types.js';
import type { FetchedManifest } from './registry/client.js';

export interface ImageSource {
  /** For messages: `127.0.0.1:5000`, `lab mirror`. */
  readonly name: string;
  /** Broken streams from this source are worth retrying (network), or not (local files). */
  readonly retryBlobs: boolean;
  getManifest(reference: string): Promise<FetchedManifest>;
  openBlob(desc: Descriptor): Promise<AsyncIterable<Uint8Array>>;
}
