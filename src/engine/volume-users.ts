// Which containers use a named volume (`volume rm` refuses while any does), for the CLI and the API.
import { listContainers } from '../state/liveness.js';
import { removeVolume } from '../volumes/store.js';

export async function volumeUsers(name: string): Promise<string[]> {
  return (await listContainers()).filter((r) => r.config.HostConfig.Binds.some((b) => b.split(':')[0] === name)).map((r) => r.config.Id.slice(0, 12));
}

export async function removeVolumeInUse(name: string): Promise<void> {
  removeVolume(name, await volumeUsers(name));
}
