// What process a container runs, by Docker's rules: Entrypoint + Cmd (a command on the CLI replaces
// Cmd; --entrypoint replaces Entrypoint and clears Cmd), the image's Env overridden by -e, PATH and
// HOSTNAME always present, HOME from the user, TERM when there is a terminal.
import { SkiffError } from '../errors.js';
import { DEFAULT_PATH } from '../spawn/defaults.js';

export interface ImageProcessConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

export interface ProcessRequest {
  command: string[];
  entrypoint?: string;
  env: string[];
  workdir?: string;
  user?: string;
  tty: boolean;
  hostname: string;
}

export interface ProcessSpec { args: string[]; env: string[]; cwd: string; user: string; path: string }

export function processSpec(image: ImageProcessConfig, req: ProcessRequest): ProcessSpec {
  const entrypoint = req.entrypoint !== undefined ? (req.entrypoint === '' ? [] : [req.entrypoint]) : image.Entrypoint ?? [];
  const cmd = req.command.length > 0 ? req.command : req.entrypoint !== undefined ? [] : image.Cmd ?? [];
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new SkiffError('EUSAGE', 'no command specified', 'give a command after the image name, or use an image with a CMD or ENTRYPOINT');
  const env = mergeEnv(['PATH=' + DEFAULT_PATH, `HOSTNAME=${req.hostname}`], image.Env ?? [], req.tty ? ['TERM=xterm'] : [], req.env.map(expandEnvArg));
  const cwd = req.workdir || image.WorkingDir || '/';
  if (!cwd.startsWith('/')) throw new SkiffError('EUSAGE', `the working directory '${cwd}' is invalid, it needs to be an absolute path`, 'pass -w with an absolute path');
  return { args, env, cwd, user: req.user ?? image.User ?? '', path: pathOf(env) };
}

/** The PATH an environment gives the container's command lookup (Docker's default when it has none). */
export function pathOf(env: string[]): string {
  return env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
}

/** `-e NAME` without a value takes NAME from skiff's own environment, as Docker does (and is dropped if unset). */
function expandEnvArg(e: string): string {
  if (e.includes('=')) return e;
  const v = process.env[e];
  return v === undefined ? '' : `${e}=${v}`;
}

/** Later lists override earlier ones by name; order of first appearance is kept. */
export function mergeEnv(...lists: string[][]): string[] {
  const out = new Map<string, string>();
  for (const list of lists) {
    for (const e of list) {
      if (!e) continue;
      const eq = e.indexOf('=');
      const name = eq < 0 ? e : e.slice(0, eq);
      if (!name) throw new SkiffError('EUSAGE', `invalid environment variable: ${e}`, 'use -e NAME=value');
      out.set(name, e);
    }
  }
  return [...out.values()];
}

/**
 * runc's rule: HOME is the user's home from the image's passwd when the environment has none. Applied
 * when a process starts (run, start, exec), as Docker does, so the record's Env stays what was asked.
 */
export function withHome(env: string[], home: string): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${home}`];
}
