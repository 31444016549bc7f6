// `skiff build [OPTIONS] PATH | -`: where the context and the Dockerfile come from (a directory, a tar
// or a Dockerfile on stdin, `-f -`), and Docker's classic builder output on stdout: the step lines,
// what RUN steps print, `Successfully built <id>` and `Successfully tagged <name>`; `-q` prints the id.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkiffError } from '../errors.js';
import { storePaths } from '../state/paths.js';
import { buildImage, parseBuildArgs, type BuildSink } from './build.js';

export interface BuildFlags {
  tag?: string[]; file?: string; buildArg?: string[]; label?: string[]; target?: string;
  quiet?: boolean; cache?: boolean; pull?: boolean;
}

function labels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const eq = l.indexOf('=');
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

export async function buildCommand(context: string, f: BuildFlags): Promise<void> {
  const fromStdin = context === '-';
  if (fromStdin && f.file === '-') throw new SkiffError('EUSAGE', 'invalid argument: can\'t use stdin for both build context and dockerfile', 'give the context as a directory, or the Dockerfile with -f FILE', { exitCode: 1 });
  if (!fromStdin && (!existsSync(context) || !statSync(context).isDirectory())) {
    throw new SkiffError('EUSAGE', `unable to prepare context: path "${context}" not found`, 'give skiff build a directory (usually .), or - to read a tar or a Dockerfile from stdin', { exitCode: 1 });
  }
  const paths = storePaths();
  mkdirSync(paths.tmp, { recursive: true });
  let scratch: string | undefined;
  try {
    let contextDir = resolve(context);
    let dockerfileText: string | undefined;
    let dockerfile = f.file && f.file !== '-' ? resolve(f.file) : undefined;
    if (fromStdin) {
      scratch = mkdtempSync(join(paths.tmp, 'build-context-'));
      const { contextFromStream } = await import('./build-input.js');
      const got = await contextFromStream(process.stdin, scratch);
      contextDir = scratch;
      dockerfileText = got.dockerfileText;
      // with a tar on stdin, -f names a file inside it (as with docker)
      if (dockerfileText === undefined && f.file) dockerfile = join(scratch, f.file);
    } else if (f.file === '-') {
      dockerfileText = readFileSync(0, 'utf8');
    }
    const quiet = !!f.quiet;
    const sink: BuildSink = quiet
      ? { line() {}, raw() {} }
      : { line: (l) => process.stdout.write(l + '\n'), raw: (b) => process.stdout.write(b) };
    const built = await buildImage({
      contextDir, tags: f.tag ?? [], buildArgs: parseBuildArgs(f.buildArg ?? []),
      ...(dockerfileText !== undefined ? { dockerfileText } : dockerfile ? { dockerfile } : {}),
      ...(f.label?.length ? { labels: labels(f.label) } : {}),
      ...(f.target ? { target: f.target } : {}),
      noCache: f.cache === false, pull: !!f.pull,
    }, sink);
    if (quiet) process.stdout.write(built.id + '\n');
    else {
      process.stdout.write(`Successfully built ${built.id.slice(7, 19)}\n`);
      for (const t of built.tags) process.stdout.write(`Successfully tagged ${t}\n`);
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
