// Usage errors worded and numbered as Docker 28's CLI does them (cobra's argument checks in docker/cli
// `cli/required.go`, its flag errors in `cli/cobra.go`): a missing or extra argument or an unknown
// command names the command, prints its usage line and exits 1; an unknown flag exits 125. Commander
// raises these through each command's error(); this module replaces error() on every command so the
// message knows which command it is about. Commander's "Did you mean …?" is kept: it helps.
import { CommanderError, type Command } from 'commander';

/** `skiff container rm`: the names from the root down. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Docker's usage lines where they say more than the argument names do (`NAME[:TAG|@DIGEST]`), keyed by
 * the verb without its `container`/`image` group. Kept here so the verbs' own files need not know.
 */
const DOCKER_USAGE: Record<string, string> = {
  exec: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  images: '[OPTIONS] [REPOSITORY[:TAG]]',
  pull: '[OPTIONS] NAME[:TAG|@DIGEST]',
  push: '[OPTIONS] NAME[:TAG]',
  tag: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  port: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  top: 'CONTAINER [ps OPTIONS]',
  'network create': '[OPTIONS] NETWORK',
  'network inspect': '[OPTIONS] NETWORK [NETWORK...]',
  'volume rm': '[OPTIONS] VOLUME [VOLUME...]',
  'volume remove': '[OPTIONS] VOLUME [VOLUME...]',
  'volume inspect': '[OPTIONS] VOLUME [VOLUME...]',
  'volume create': '[OPTIONS] [VOLUME]',
};

/** Commander's usage (`[options] <container...>`) in Docker's spelling (`[OPTIONS] CONTAINER [CONTAINER...]`). */
export function dockerUsage(cmd: Command): string {
  const path = commandPath(cmd);
  const known = DOCKER_USAGE[path.replace(/^skiff (container |image )?/, '')];
  if (known) return `${path} ${known}`;
  const words = cmd.usage().split(/\s+/).filter(Boolean).map((w) => {
    // Commander counts its own --help; Docker says [OPTIONS] only for a verb with flags of its own.
    if (w === '[options]') return cmd.options.length ? '[OPTIONS]' : '';
    const m = /^([<[])([\w|-]+)(\.\.\.)?[>\]]$/.exec(w);
    if (!m) return w;
    const name = m[2]!.toUpperCase().replace(/-/g, '_');
    if (m[1] === '<') return m[3] ? `${name} [${name}...]` : name;
    return m[3] ? `[${name}...]` : `[${name}]`;
  });
  return [commandPath(cmd), ...words.filter(Boolean)].join(' ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Docker's sentence for a wrong number of arguments, and whether its footer says "See" or "Run". */
function argumentRule(cmd: Command): { text: string; footer: 'See' | 'Run' } {
  const args = cmd.registeredArguments;
  const required = args.filter((a) => a.required).length;
  const variadic = args.some((a) => a.variadic);
  if (!args.length) return { text: 'accepts no arguments', footer: 'Run' };
  if (variadic) return { text: `requires at least ${plural(Math.max(required, 1), 'argument')}`, footer: 'See' };
  if (required === 0) return { text: `requires at most ${plural(args.length, 'argument')}`, footer: 'Run' };
  if (required === args.length) return { text: `requires ${plural(required, 'argument')}`, footer: 'Run' };
  return { text: `requires at least ${required} and at most ${plural(args.length, 'argument')}`, footer: 'Run' };
}

function suggestion(message: string): string {
  const m = /\(Did you mean ([^?]+)\?\)/.exec(message);
  return m ? `\n(Did you mean ${m[1]}?)` : '';
}

/** The text Docker prints for this commander error and its exit status; undefined: not a usage error. */
export function dockerUsageError(cmd: Command, code: string, message: string): { text: string; exitCode: number } | undefined {
  const path = commandPath(cmd);
  const usage = `Usage:  ${dockerUsage(cmd)}`;
  if (code === 'commander.missingArgument' || code === 'commander.excessArguments') {
    const rule = argumentRule(cmd);
    return { text: `skiff: '${path}' ${rule.text}\n\n${usage}\n\n${rule.footer} '${path} --help' for more information\n`, exitCode: 1 };
  }
  if (code === 'commander.unknownCommand') {
    const name = /unknown command '([^']*)'/.exec(message)?.[1] ?? '';
    const group = cmd.parent ? `\n\nUsage:  ${path}` : '';
    return { text: `skiff: unknown command: ${path} ${name}${suggestion(message)}${group}\n\nRun '${path} --help' for more information\n`, exitCode: 1 };
  }
  if (code === 'commander.unknownOption' || code === 'commander.optionMissingArgument' || code === 'commander.invalidArgument') {
    const what = message.replace(/^error: /, '')
      .replace(/^unknown option '([^']*)'/, (_m, f: string) => (f.startsWith('--') ? `unknown flag: ${f}` : `unknown shorthand flag: '${f.slice(1)}' in ${f}`))
      .replace(/^option '(?:-\w, )?(--?[\w-]+)[^']*' argument missing/, 'flag needs an argument: $1');
    return { text: `${what}\n\n${usage}\n\nRun '${path} --help' for more information\n`, exitCode: 125 };
  }
  return undefined;
}

/** Route every command's usage errors through dockerUsageError (call after all verbs are registered). */
export function useDockerUsageErrors(root: Command): void {
  const visit = (cmd: Command) => {
    const original = cmd.error.bind(cmd);
    cmd.error = (message: string, opts?: { code?: string; exitCode?: number }): never => {
      const code = opts?.code ?? 'commander.error';
      const docker = dockerUsageError(cmd, code, message);
      if (!docker) return original(message, opts);
      process.stderr.write(docker.text);
      throw new CommanderError(docker.exitCode, code, message);
    };
    for (const sub of cmd.commands) visit(sub);
  };
  visit(root);
}
