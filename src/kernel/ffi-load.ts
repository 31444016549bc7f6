// ffi-rs, loaded without its libc probe. Its napi-rs loader asks process.report.getReport() whether
// libc is glibc or musl, to pick the prebuilt binary; a full diagnostic report costs 40–90 ms of CPU
// at every Node start that reaches a syscall (every skiff command, and each pre-started worker of the
// front door: measured with --cpu-prof, bench/run-latency). The answer is one small file away: the
// dynamic loader this very process was started with is among its mappings (/lib/ld-musl-<arch>.so.1 on
// musl). Whether such a file merely exists says nothing: a glibc host with Debian's musl-tools installed
// has one too, and picking the musl binary there fails to load.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as FfiRs from 'ffi-rs';

function onMusl(): boolean {
  try {
    return /\/ld-musl-|\/libc\.musl-/.test(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    return false;
  }
}

function load(): typeof FfiRs {
  const report = process.report;
  const real = report.getReport;
  // What the loader reads of the report: header.glibcVersionRuntime, set on glibc only.
  report.getReport = (() => ({ header: onMusl() ? {} : { glibcVersionRuntime: 'present' } })) as unknown as typeof real;
  try {
    return createRequire(import.meta.url)('ffi-rs') as typeof FfiRs;
  } finally {
    report.getReport = real;
  }
}

const ffi = load();
export default ffi;
