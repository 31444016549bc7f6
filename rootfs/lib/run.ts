// Runs the host tools the builder relies on (apt-get, apt-cache, dpkg-deb, tar, gzip) and turns a
// failure into a SkiffError that names the tool and what to do, instead of a bare stack trace.
import { spawnSync } from 'node:child_process';
import { SkiffError } from '../../src/errors.js';

export interface RunOptions {
  cwd?: string;
  hint?: string;
  maxBuffer?: number;
}

/** Runs `cmd args…`, returns its stdout; throws EBUILD with the tool's own stderr on failure. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    encoding: 'utf8',
    maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SkiffError(
      'EBUILD',
      missing ? `${cmd} is not installed` : `${cmd} could not be started: ${r.error.message}`,
      missing ? 'run scripts/install-deps.sh' : opts.hint,
      { cause: r.error },
    );
  }
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' / ');
    throw new SkiffError('EBUILD', `${cmd} ${args.slice(0, 3).join(' ')}… failed (exit ${r.status}): ${why}`, opts.hint);
  }
  return r.stdout;
}

/** Runs many commands, at most `limit` at a time; throws the first failure (as `run` does). */
export async function runAll(jobs: { cmd: string; args: string[] }[], limit: number, opts: RunOptions = {}): Promise<void> {
  const { spawn } = await import('node:child_process');
  let next = 0;
  const one = (job: { cmd: string; args: string[] }) =>
    new Promise<void>((resolveJob, reject) => {
      const child = spawn(job.cmd, job.args, { cwd: opts.cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (e) => reject(new SkiffError('EBUILD', `${job.cmd} could not be started: ${e.message}`, 'run scripts/install-deps.sh', { cause: e })));
      child.on('close', (code) => code === 0
        ? resolveJob()
        : reject(new SkiffError('EBUILD', `${job.cmd} ${job.args.slice(0, 3).join(' ')}… failed (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' / ')}`, opts.hint)));
    });
  const worker = async () => {
    while (next < jobs.length) await one(jobs[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
