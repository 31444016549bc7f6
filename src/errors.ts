// Every failure a user can see is a SkiffError: a stable code (for tests and scripts), a one-line
// message (what went wrong) and a hint (what to do about it). The CLI prints message and hint and
// exits non-zero; it never prints a stack trace unless --log-level debug asks for one.

export type SkiffErrorCode =
  | 'EUSAGE' // bad flag, bad argument
  | 'EINVALID' // input the engine refuses where Docker's daemon (not its CLI) does: `create` exits 1 for it, `run` 125
  | 'EFLAG' // a flag value Docker's own flag parser refuses (exit 125 for every verb, as the docker CLI)
  | 'ENOIMAGE' // image not found locally / in any registry
  | 'EREFERENCE' // malformed image reference
  | 'ENOCONTAINER' // no such container
  | 'ENAMEINUSE' // container / network / volume name taken
  | 'ESTATE' // container in the wrong state for the verb
  | 'EIMAGEINUSE' // image used by a container
  | 'EMANIFEST' // malformed or unsupported manifest / config / index
  | 'EDIGEST' // content did not match its digest or size
  | 'ELAYER' // malformed or malicious layer tar
  | 'EREGISTRY' // registry protocol failure
  | 'EAUTH' // registry authentication failure
  | 'ENETWORK' // network setup failure
  | 'EPORT' // port spec invalid, taken, privileged
  | 'ECGROUP' // cgroup v2 missing, controller not delegated
  | 'EUSERNS' // no user namespaces, no subuid range, newuidmap missing
  | 'ELAUNCH' // a kernel step of the launch plan failed
  | 'EEXEC' // the container's command could not be executed
  | 'ENATIVE' // native helper missing or broken
  | 'EKERNEL' // a host-side syscall failed
  | 'EBUILD' // Dockerfile error
  | 'EIO' // filesystem trouble in the store
  | 'ELOCKED' // lock could not be taken in time
  | 'EINTERNAL';

export class SkiffError extends Error {
  readonly code: SkiffErrorCode;
  readonly hint: string | undefined;
  /** Exit status the CLI should use; Docker uses 125 for engine errors, 126/127 for exec failures. */
  readonly exitCode: number;

  constructor(code: SkiffErrorCode, message: string, hint?: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SkiffError';
    this.code = code;
    this.hint = hint;
    this.exitCode = options?.exitCode ?? 125;
  }

  /** The one line the user sees: "message (hint)". */
  oneLine(): string {
    return this.hint ? `${this.message}. ${this.hint}` : this.message;
  }
}

export function isSkiffError(e: unknown): e is SkiffError {
  return e instanceof SkiffError;
}

/** Wrap an unknown thrown value so the CLI always has a code and a hint to print. */
export function asSkiffError(e: unknown): SkiffError {
  if (e instanceof SkiffError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.message === 'string') {
    return new SkiffError('EIO', err.message, 'run with --log-level debug for details', { cause: e });
  }
  return new SkiffError('EINTERNAL', String((e as Error)?.message ?? e), 'this is a bug in skiff: please report it with --log-level debug output', { cause: e });
}
