// errno numbers → names and → hints a user can act on. Shared by host-side ffi calls and by the
// native launcher's step reports (it sends the raw errno; the TypeScript side names it).
import { constants } from 'node:os';
import { SkiffError } from '../errors.js';

const byNumber = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!byNumber.has(value)) byNumber.set(value, name);
}

export function errnoName(errno: number): string {
  return byNumber.get(errno) ?? `errno ${errno}`;
}

const HINTS: Record<string, string> = {
  EPERM: 'the kernel refused: run as root, or check that user namespaces are enabled (skiff doctor)',
  EACCES: 'permission denied: check the path\'s owner and mode',
  ENOENT: 'a path does not exist',
  EBUSY: 'it is in use (a mount or a process still holds it)',
  EINVAL: 'the kernel rejected an argument: run with --trace to see the exact call',
  ENOSPC: 'no space (or no free namespace/cgroup slots) left',
  EEXIST: 'it already exists',
  EADDRINUSE: 'the address or port is already in use',
  ENOSYS: 'this kernel lacks the syscall: skiff needs Linux 5.11 or newer',
  EMFILE: 'too many open files',
};

export function errnoHint(name: string): string {
  return HINTS[name] ?? 'run with --trace to see the failing kernel call';
}

/** A host-side syscall failed. */
export class KernelError extends SkiffError {
  readonly syscall: string;
  readonly errno: number;
  readonly errnoName: string;

  constructor(syscall: string, errno: number, what?: string) {
    const name = errnoName(errno);
    super('EKERNEL', `${what ?? syscall}: ${name} (${describe(errno)})`, errnoHint(name));
    this.syscall = syscall;
    this.errno = errno;
    this.errnoName = name;
  }
}

function describe(errno: number): string {
  // Node has no strerror; the util name map carries the libuv text for the common ones.
  const map: Record<string, string> = {
    EPERM: 'operation not permitted', ENOENT: 'no such file or directory', EACCES: 'permission denied',
    EBUSY: 'device or resource busy', EINVAL: 'invalid argument', EEXIST: 'file exists',
    ENOSPC: 'no space left on device', ENOSYS: 'function not implemented', EADDRINUSE: 'address already in use',
    ESRCH: 'no such process', ENOTDIR: 'not a directory', EISDIR: 'is a directory', ENOEXEC: 'exec format error',
    ENOTEMPTY: 'directory not empty', EXDEV: 'cross-device link', ELOOP: 'too many levels of symbolic links',
  };
  return map[errnoName(errno)] ?? 'system error';
}

