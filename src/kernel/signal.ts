// Signalling a process we know by pid and start time: pidfd_open then pidfd_send_signal, so a pid
// recycled since we recorded it is never hit.
import { processStartTime } from './process-identity.js';
import { SYS, syscall, T, call } from './libc.js';
import { SkiffError } from '../errors.js';

export function sendSignal(pid: number, expectedStart: string | undefined, sig: number): void {
  const fd = syscall(SYS.pidfd_open, [T.I32, T.I32], [pid, 0], `pidfd_open(${pid})`);
  try {
    // Checked after opening the pidfd: from here on the fd pins this very process.
    if (expectedStart && processStartTime(pid) !== expectedStart) {
      throw new SkiffError('ESTATE', `process ${pid} is gone`, 'the container has already stopped');
    }
    syscall(SYS.pidfd_send_signal, [T.I32, T.I32, T.I64, T.I32], [fd, sig, 0, 0], `pidfd_send_signal(${pid}, ${sig})`);
  } finally {
    call({ fn: 'close', ret: T.I32, types: [T.I32], args: [fd], what: 'close(pidfd)' });
  }
}

/** sendSignal, where a process that already ended (or a pid since reused) is what the caller wanted anyway. */
export function signalIfAlive(pid: number, expectedStart: string | undefined, sig: number): void {
  if (pid <= 0) return;
  try {
    sendSignal(pid, expectedStart, sig);
  } catch (e) {
    const err = e as { code?: string; errnoName?: string };
    if (err.code === 'ESTATE' || err.errnoName === 'ESRCH') return;
    throw e;
  }
}
