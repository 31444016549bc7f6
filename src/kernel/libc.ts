// The one door from TypeScript into libc. Every host-side syscall skiff makes goes through `call`,
// so tracing, errno mapping and the ffi-rs quirks (see docs/facts.md) live in exactly one place.
//
// ffi-rs quirks this file answers for:
//  - errno is not cleared before a call, so the return value decides success, never errnoCode alone;
//  - Buffers passed as U8Array are passed by reference (use them for out-structs);
//  - NULL cannot be passed as U8Array: declare that parameter I64 and pass 0.
import type { DataType } from 'ffi-rs';
import ffi from './ffi-load.js';
import { KernelError } from './errno.js';
import { trace } from '../trace.js';

export const T = ffi.DataType;
export type ParamType = DataType;

let opened = false;
function ensureOpen(): void {
  if (opened) return;
  ffi.open({ library: 'libc', path: 'libc.so.6' });
  opened = true;
}

export interface CallSpec {
  /** libc symbol, e.g. 'mount' */
  fn: string;
  ret?: ParamType;
  types: ParamType[];
  args: unknown[];
  /** How a failing call is described to the user, e.g. `mount overlay on /x`. */
  what?: string;
  /** Returns that mean failure; default: value === -1. */
  failed?: (value: number) => boolean;
}

/** Call a libc function; throws KernelError (a SkiffError) with the errno on failure. */
export function call(spec: CallSpec): number {
  ensureOpen();
  const r = ffi.load({
    library: 'libc',
    funcName: spec.fn,
    retType: spec.ret ?? T.I32,
    paramsType: spec.types,
    paramsValue: spec.args,
    errno: true,
  }) as unknown as { value: number; errnoCode: number };
  const failed = spec.failed ? spec.failed(r.value) : r.value === -1;
  if (failed) {
    const err = new KernelError(spec.fn, r.errnoCode, spec.what);
    trace.kernel(spec.what ?? spec.fn, `failed: ${err.errnoName}`);
    throw err;
  }
  return r.value;
}

/** Raw syscall(2) by number, for calls glibc 2.36 has no wrapper for (pidfd_*, openat2, close_range). */
export function syscall(nr: number, types: ParamType[], args: unknown[], what: string): number {
  return call({ fn: 'syscall', ret: T.I64, types: [T.I64, ...types], args: [nr, ...args], what });
}

export const SYS = {
  pidfd_send_signal: 424,
  pidfd_open: 434,
  close_range: 436,
  pidfd_getfd: 438,
  openat2: 437,
} as const;
