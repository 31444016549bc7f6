// Dockerfile text → stages of typed instructions, with Docker's rules and messages
// ("Dockerfile:3: unknown instruction: FORM"). Splitting into logical lines is dockerfile-lines.ts;
// argument forms are dockerfile-args.ts; ARG/ENV expansion happens later, in the builder.
import { SkiffError } from '../../errors.js';
import { splitLogicalLines, type LogicalLine } from './dockerfile-lines.js';
import { extractFlags, parseMaybeJson, parseWords } from './dockerfile-args.js';
import type { Dockerfile, Instruction, NameValue, Stage } from './instructions.js';

const KNOWN = ['FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'ENV', 'LABEL', 'ARG', 'WORKDIR', 'USER', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'MAINTAINER', 'COPY', 'ADD', 'HEALTHCHECK', 'ONBUILD'];

const ALLOWED_FLAGS: Record<string, string[]> = {
  FROM: ['platform'],
  RUN: ['mount', 'network', 'security'],
  COPY: ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'],
  ADD: ['chown', 'chmod', 'link', 'keep-git-dir', 'checksum'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

// Flags only BuildKit implements. skiff builds as Docker's classic builder does, so these are refused
// by name rather than parsed and silently ignored.
const BUILDKIT_ONLY: Record<string, string[]> = {
  RUN: ['mount', 'network', 'security'],
  COPY: ['link', 'parents', 'exclude'],
  ADD: ['link', 'keep-git-dir', 'checksum'],
};

const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export class DockerfileSyntaxError extends SkiffError {
  constructor(readonly line: number, message: string, hint: string) {
    super('EBUILD', `Dockerfile:${line}: ${message}`, hint);
  }
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

function unknownInstruction(line: number, word: string): DockerfileSyntaxError {
  const upper = word.toUpperCase();
  const near = KNOWN.filter((k) => k !== 'ONBUILD').map((k) => ({ k, d: editDistance(upper, k) })).sort((x, y) => x.d - y.d)[0]!;
  const hint = near.d <= 2 ? `did you mean ${near.k}?` : `instructions are: ${KNOWN.filter((k) => k !== 'ONBUILD' && k !== 'MAINTAINER').join(' ')}`;
  return new DockerfileSyntaxError(line, `unknown instruction: ${upper}`, hint);
}

function nameValues(kind: 'ENV' | 'LABEL', rest: string, escape: string, line: number): NameValue[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) throw new DockerfileSyntaxError(line, `${kind} requires at least one argument`, `write ${kind} name=value`);
  if (!words[0]!.includes('=')) {
    // Legacy form `ENV name value with spaces`: one pair, the value is the rest of the line.
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest.trim());
    if (!m || m[2]!.trim() === '') throw new DockerfileSyntaxError(line, `${kind} must have two arguments`, `write ${kind} name=value`);
    return [{ name: m[1]!, value: m[2]!.trim() }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) throw new DockerfileSyntaxError(line, `Syntax error - can't find = in "${w}". Must be of the form: name=value`, 'quote values that contain spaces: name="a b"');
    if (eq === 0) throw new DockerfileSyntaxError(line, `${kind} names can not be blank`, `write ${kind} name=value`);
    return { name: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

function parseInstruction(l: LogicalLine, escape: string): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(l.text.trim())!;
  const word = m[1]!;
  const kind = word.toUpperCase();
  const base = { line: l.line, original: l.text.trim() };
  if (!KNOWN.includes(kind)) throw unknownInstruction(l.line, word);
  if (kind === 'ONBUILD') return parseOnbuild(base, m[2]!.trim(), escape);
  const allowed = ALLOWED_FLAGS[kind] ?? [];
  const { flags, rest } = allowed.length ? extractFlags(m[2]!) : { flags: new Map<string, string | true>(), rest: m[2]!.trim() };
  for (const f of flags.keys()) {
    if (!allowed.includes(f)) throw new DockerfileSyntaxError(l.line, `unknown flag: --${f}`, `${kind} accepts: ${allowed.filter((a) => !BUILDKIT_ONLY[kind]?.includes(a)).map((a) => `--${a}`).join(' ') || 'no flags'}`);
    if (BUILDKIT_ONLY[kind]?.includes(f)) {
      throw new DockerfileSyntaxError(l.line, `${kind} --${f} requires BuildKit; skiff builds as Docker's classic builder, which has no --${f}`, `remove --${f} from the ${kind} instruction`);
    }
  }
  const flag = (n: string): string | undefined => {
    const v = flags.get(n);
    if (v === true) throw new DockerfileSyntaxError(l.line, `missing a value on flag: --${n}`, `write --${n}=<value>`);
    return v;
  };
  const need = (ok: boolean, message: string, hint: string) => {
    if (!ok) throw new DockerfileSyntaxError(l.line, message, hint);
  };

  switch (kind) {
    case 'FROM': {
      const words = rest.split(/\s+/).filter(Boolean);
      need(words.length === 1 || (words.length === 3 && words[1]!.toUpperCase() === 'AS'), 'FROM requires either one or three arguments', 'write FROM image[:tag] [AS name]');
      const alias = words[2]?.toLowerCase();
      if (alias !== undefined) need(STAGE_NAME.test(alias), `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`, 'use letters, digits, - _ . and start with a letter');
      return { ...base, kind, image: words[0]!, ...(alias ? { alias } : {}), ...(flag('platform') ? { platform: flag('platform')! } : {}) };
    }
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT': {
      const command = parseMaybeJson(rest);
      if (kind === 'RUN') {
        need(rest !== '', 'RUN requires at least one argument', 'write RUN <command>');
        return { ...base, kind, command, flags: Object.fromEntries(flags) };
      }
      return { ...base, kind, command };
    }
    case 'SHELL': {
      const c = parseMaybeJson(rest);
      need(c.form === 'exec' && c.args.length > 0, 'SHELL requires the arguments to be in JSON form', 'write SHELL ["/bin/sh", "-c"]');
      return { ...base, kind, shell: c.args };
    }
    case 'ENV':
    case 'LABEL':
      return { ...base, kind, pairs: nameValues(kind, rest, escape, l.line) };
    case 'ARG': {
      const words = parseWords(rest, escape);
      need(words.length > 0, 'ARG requires at least one argument', 'write ARG name[=default]');
      return {
        ...base,
        kind,
        args: words.map((w) => {
          const eq = w.indexOf('=');
          const name = eq < 0 ? w : w.slice(0, eq);
          need(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name), `invalid ARG name: "${name}"`, 'ARG names are letters, digits and _');
          return eq < 0 ? { name } : { name, value: w.slice(eq + 1) };
        }),
      };
    }
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER': {
      need(rest !== '', `${kind} requires exactly one argument`, `write ${kind} <value>`);
      if (kind === 'WORKDIR') return { ...base, kind, path: rest };
      if (kind === 'USER') return { ...base, kind, user: rest };
      if (kind === 'STOPSIGNAL') return { ...base, kind, signal: rest };
      return { ...base, kind: 'MAINTAINER', name: rest };
    }
    case 'EXPOSE': {
      const ports = rest.split(/\s+/).filter(Boolean);
      need(ports.length > 0, 'EXPOSE requires at least one argument', 'write EXPOSE 80 or EXPOSE 53/udp');
      return { ...base, kind, ports };
    }
    case 'VOLUME': {
      const c = parseMaybeJson(rest);
      const paths = c.form === 'exec' ? c.args : rest.split(/\s+/).filter(Boolean);
      need(paths.length > 0, 'VOLUME requires at least one argument', 'write VOLUME /data');
      need(paths.every((p) => p.trim() !== ''), 'VOLUME specified can not be an empty string', 'give each volume a path');
      return { ...base, kind, paths, json: c.form === 'exec' };
    }
    case 'COPY':
    case 'ADD': {
      const c = parseMaybeJson(rest);
      const all = c.form === 'exec' ? c.args : rest.split(/\s+/).filter(Boolean);
      need(all.length >= 2, `${kind} requires at least two arguments, but only ${all.length === 1 ? 'one was' : 'none were'} provided. Destination could not be determined.`, `write ${kind} <src>... <dest>`);
      const from = kind === 'COPY' ? flag('from') : undefined;
      const chown = flag('chown');
      const chmod = flag('chmod');
      return { ...base, kind, sources: all.slice(0, -1), dest: all[all.length - 1]!, json: c.form === 'exec', ...(from ? { from } : {}), ...(chown ? { chown } : {}), ...(chmod ? { chmod } : {}) };
    }
    case 'HEALTHCHECK':
      return parseHealthcheck(base, rest, flag, need);
  }
  throw unknownInstruction(l.line, word);
}

/** `ONBUILD <instruction>`: checked now (Docker refuses a bad trigger when the base is built), run later. */
function parseOnbuild(base: { line: number; original: string }, trigger: string, escape: string): Instruction {
  if (trigger === '') throw new DockerfileSyntaxError(base.line, 'ONBUILD requires at least one argument', 'write ONBUILD <instruction>, e.g. ONBUILD COPY . /app');
  const word = /^\S+/.exec(trigger)![0].toUpperCase();
  if (word === 'ONBUILD') throw new DockerfileSyntaxError(base.line, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed', 'write the trigger instruction itself after ONBUILD');
  if (word === 'FROM' || word === 'MAINTAINER') throw new DockerfileSyntaxError(base.line, `${word} isn't allowed as an ONBUILD trigger`, 'triggers may be any instruction but FROM, MAINTAINER and ONBUILD');
  parseInstruction({ line: base.line, endLine: base.line, text: trigger }, escape);
  return { ...base, kind: 'ONBUILD', trigger };
}

/** Parses one ONBUILD trigger stored in a base image's config (its line number is the FROM's). */
export function parseTrigger(trigger: string, line: number, escape: '\\' | '`' = '\\'): Instruction {
  const word = /^\S+/.exec(trigger.trim())?.[0]?.toUpperCase();
  if (!word || word === 'ONBUILD' || word === 'FROM' || word === 'MAINTAINER') {
    throw new DockerfileSyntaxError(line, `the base image's ONBUILD trigger "${trigger}" is not allowed`, 'rebuild the base image without it');
  }
  return parseInstruction({ line, endLine: line, text: trigger }, escape);
}

function parseHealthcheck(base: { line: number; original: string }, rest: string, flag: (n: string) => string | undefined, need: (ok: boolean, m: string, h: string) => void): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
  need(!!m, 'HEALTHCHECK requires an argument', 'write HEALTHCHECK CMD <command> or HEALTHCHECK NONE');
  const type = m![1]!.toUpperCase();
  if (type === 'NONE') {
    need(m![2]!.trim() === '', 'HEALTHCHECK NONE takes no arguments', 'write HEALTHCHECK NONE');
    return { ...base, kind: 'HEALTHCHECK', test: ['NONE'] };
  }
  need(type === 'CMD', `Unknown type "${type}" in HEALTHCHECK (try CMD)`, 'write HEALTHCHECK CMD <command>');
  const c = parseMaybeJson(m![2]!);
  need(c.args[0] !== '', 'HEALTHCHECK CMD requires a command', 'write HEALTHCHECK CMD <command>');
  const out: Instruction = { ...base, kind: 'HEALTHCHECK', test: c.form === 'exec' ? ['CMD', ...c.args] : ['CMD-SHELL', c.args[0]] };
  for (const [key, field] of [['interval', 'interval'], ['timeout', 'timeout'], ['start-period', 'startPeriod'], ['start-interval', 'startInterval']] as const) {
    const v = flag(key);
    if (v === undefined) continue;
    need(DURATION.test(v), `invalid duration for --${key}: "${v}"`, 'use a duration like 30s, 1m30s or 500ms');
    out[field] = v;
  }
  const retries = flag('retries');
  if (retries !== undefined) {
    need(/^-?\d+$/.test(retries), `invalid --retries: "${retries}"`, 'use a whole number');
    need(Number(retries) >= 0, '--retries cannot be negative', 'use 0 or more');
    out.retries = Number(retries);
  }
  return out;
}

/** Parses a whole Dockerfile; throws DockerfileSyntaxError (EBUILD) on the first bad line. */
export function parseDockerfile(source: string): Dockerfile {
  const { directives, lines } = splitLogicalLines(source);
  const df: Dockerfile = { escape: directives.escape, ...(directives.syntax ? { syntax: directives.syntax } : {}), globalArgs: [], stages: [] };
  if (lines.length === 0) throw new SkiffError('EBUILD', 'Dockerfile: file with no instructions', 'start the Dockerfile with FROM <image>');
  let stage: Stage | undefined;
  const names = new Set<string>();
  for (const l of lines) {
    const ins = parseInstruction(l, directives.escape);
    if (ins.kind === 'FROM') {
      if (ins.alias) {
        if (names.has(ins.alias)) throw new DockerfileSyntaxError(l.line, `duplicate stage name "${ins.alias}"`, 'give each stage its own name');
        names.add(ins.alias);
      }
      stage = { index: df.stages.length, from: ins, steps: [] };
      df.stages.push(stage);
    } else if (!stage) {
      if (ins.kind !== 'ARG') throw new DockerfileSyntaxError(l.line, `${ins.kind} before FROM: no build stage in current context`, 'start the Dockerfile with FROM <image> (only ARG may come before it)');
      df.globalArgs.push(ins);
    } else {
      stage.steps.push(ins);
    }
  }
  if (!stage) throw new SkiffError('EBUILD', 'Dockerfile: no FROM instruction', 'start the Dockerfile with FROM <image>');
  return df;
}
