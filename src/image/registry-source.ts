// A registry repository as a pull source.
import type { ImageSource } from './source.js';
import type { Descriptor } from './oci-types.js';
import { RegistryClient, type FetchedManifest } from './registry/client.js';

export class RegistrySource implements ImageSource {
  readonly retryBlobs = true;
  readonly name: string;
  constructor(private readonly client: RegistryClient, private readonly repo: string) {
    this.name = client.domain;
  }
  getManifest(reference: string): Promise<FetchedManifest> {
    return this.client.getManifest(this.repo, reference);
  }
  openBlob(desc: Descriptor): Promise<AsyncIterable<Uint8Array>> {
    return this.client.openBlob(this.repo, desc.digest);
  }
}
