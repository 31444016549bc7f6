// Runs every prerequisite check against one probe and decides the verdict: the machine is ready when
// no check needed for the current mode (rootful as root, rootless otherwise) failed. A failure of a
// check the mode does not need is shown as a warning.
import type { Check, CheckResult, Probe } from './types.js';
import type { EngineMode } from '../state/paths.js';
import { kernelCheck } from './checks/kernel.js';
import { userNamespacesCheck } from './checks/user-namespaces.js';
import { subordinateIdsCheck } from './checks/subordinate-ids.js';
import { idMapHelpersCheck } from './checks/id-map-helpers.js';
import { overlayCheck } from './checks/overlayfs.js';
import { cgroupsCheck } from './checks/cgroups.js';
import { nftablesCheck } from './checks/nftables.js';
import { rootlessNetworkCheck } from './checks/rootless-network.js';
import { lowPortsCheck } from './checks/low-ports.js';
import { nativeLauncherCheck } from './checks/native-launcher.js';
import { nodeVersionCheck } from './checks/node-version.js';
import { storeCheck } from './checks/store.js';

export const ALL_CHECKS: Check[] = [
  kernelCheck,
  nodeVersionCheck,
  userNamespacesCheck,
  subordinateIdsCheck,
  idMapHelpersCheck,
  overlayCheck,
  cgroupsCheck,
  nftablesCheck,
  rootlessNetworkCheck,
  lowPortsCheck,
  nativeLauncherCheck,
  storeCheck,
];

export interface DoctorReport {
  mode: EngineMode;
  ready: boolean;
  checks: CheckResult[];
}

export function runDoctor(probe: Probe, checks: Check[] = ALL_CHECKS): DoctorReport {
  const mode = probe.mode();
  const results: CheckResult[] = checks.map((c) => {
    let finding;
    try {
      finding = c.run(probe);
    } catch (e) {
      finding = { status: 'fail' as const, detail: `check crashed: ${(e as Error).message}`, fix: 'report this as a skiff bug' };
    }
    const status = finding.status === 'fail' && !c.neededFor.includes(mode) ? 'warn' : finding.status;
    return { id: c.id, title: c.title, neededFor: c.neededFor, ...finding, status };
  });
  return { mode, ready: results.every((r) => r.status !== 'fail'), checks: results };
}

const MARK = { ok: '✔', warn: '!', fail: '✘' } as const;

/** One line per check: mark, title, what was found, and the fix when something is wrong. */
export function formatDoctor(report: DoctorReport): string {
  const lines = report.checks.map((r) => `${MARK[r.status]} ${r.title}: ${r.detail}${r.status !== 'ok' && r.fix ? ` — fix: ${r.fix}` : ''}`);
  const failed = report.checks.filter((r) => r.status === 'fail').length;
  lines.push(report.ready ? `ready for ${report.mode} mode` : `not ready for ${report.mode} mode: ${failed} check${failed === 1 ? '' : 's'} failed`);
  return lines.join('\n') + '\n';
}
