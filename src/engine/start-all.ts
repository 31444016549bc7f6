// `skiff start --all [--filter restart-policy=P]…`: start every stopped container, or those whose restart
// policy is one of P. skiff has no daemon to restart containers when the machine boots, as dockerd does
// when it starts; a boot unit (systemd, see docs/lab.md) runs this instead, the way podman-restart.service
// runs `podman start --all --filter restart-policy=always`. As dockerd does, an `unless-stopped` container
// that the user had stopped stays stopped.
import { SkiffError } from '../errors.js';
import { listContainerIds, readConfig } from '../state/containers.js';
import { refreshState } from '../state/liveness.js';
import { startExisting } from './lifecycle.js';

const POLICIES = new Set(['no', 'always', 'unless-stopped', 'on-failure']);

/** `--filter restart-policy=X` values; any other filter key is an error that names it. */
export function restartPolicyFilter(filters: string[]): Set<string> | undefined {
  if (filters.length === 0) return undefined;
  const want = new Set<string>();
  for (const f of filters) {
    const [key, value = ''] = f.split('=', 2);
    if (key !== 'restart-policy') throw new SkiffError('EUSAGE', `invalid filter '${key}'`, 'start --all takes --filter restart-policy=no|always|unless-stopped|on-failure');
    if (!POLICIES.has(value)) throw new SkiffError('EUSAGE', `invalid restart policy '${value}'`, 'use no, always, unless-stopped or on-failure');
    want.add(value);
  }
  return want;
}

/** Start the matching stopped containers; returns the ids started and the errors of those that failed. */
export async function startAll(policies: Set<string> | undefined): Promise<{ started: string[]; failed: Array<{ id: string; error: unknown }> }> {
  const started: string[] = [];
  const failed: Array<{ id: string; error: unknown }> = [];
  for (const id of listContainerIds()) {
    try {
      const s = await refreshState(id);
      if (s.Running) continue;
      const policy = readConfig(id).HostConfig.RestartPolicy?.Name || 'no';
      if (policies && !policies.has(policy)) continue;
      if (policy === 'unless-stopped' && s.ManualStop) continue;
      await startExisting(id, false);
      started.push(id);
    } catch (error) {
      failed.push({ id, error });
    }
  }
  return { started, failed };
}
