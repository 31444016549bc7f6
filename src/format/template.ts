// A subset of Go's text/template, enough for Docker's --format: fields (`{{.ID}}`, `{{.State.Status}}`),
// `$`, variables (`{{$n := .Name}}`, `{{range $k, $v := .Labels}}`, `{{with $x := …}}`, `{{$n = …}}`),
// literals, pipelines (`{{.Names | upper}}`), if/else if/else, range, with, and Docker's
// functions (json, join, split, lower, upper, title, pad, truncate, println) plus Go's builtins
// (eq ne lt le gt ge and or not len index print printf). Hand-written because no npm package
// offers Go templates with a function map: @ctrl/golang-template has neither `json` nor custom
// functions, and the others wrap a Go binary.
import { SkiffError } from '../errors.js';

/** `$a := …`, `$a = …` (assignment to a declared variable) or, in range, `$k, $v := …`. */
type Decl = { names: string[]; assign: boolean };
type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; pipe: Pipe; src: string; decl?: Decl }
  | { k: 'if' | 'with' | 'range'; pipe: Pipe; body: Node[]; alt: Node[]; decl?: Decl };
type Operand = { k: 'field'; base: 'dot' | 'root'; path: string[] } | { k: 'var'; name: string; path: string[] } | { k: 'lit'; value: unknown } | { k: 'fn'; name: string } | { k: 'sub'; pipe: Pipe };
type Cmd = Operand[];
type Pipe = Cmd[];

export interface TemplateOptions {
  /** Unknown fields of objects: 'error' like a Go struct, 'novalue' like a Go map ("<no value>"). */
  missing?: 'error' | 'novalue';
}

const NO_VALUE = Symbol('no value');

function fail(msg: string): never {
  throw new SkiffError('EUSAGE', `template: ${msg}`, 'check the --format template (Go text/template syntax)');
}

// ---- lexing one action's inside ----
function tokenize(src: string): string[] {
  const toks: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||:=|=|,|[$.A-Za-z0-9_][$.A-Za-z0-9_\-+]*|\.)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(src))) {
    toks.push(m[1]!);
    last = re.lastIndex;
  }
  if (src.slice(last).trim()) fail(`unexpected "${src.slice(last).trim()}" in action`);
  return toks;
}

function parsePipe(toks: string[], pos: { i: number }, closer?: string): Pipe {
  const pipe: Pipe = [];
  let cmd: Cmd = [];
  while (pos.i < toks.length && toks[pos.i] !== closer) {
    const t = toks[pos.i++]!;
    if (t === '|') {
      if (!cmd.length) fail('missing command before |');
      pipe.push(cmd);
      cmd = [];
    } else if (t === '(') {
      cmd.push({ k: 'sub', pipe: parsePipe(toks, pos, ')') });
      if (toks[pos.i++] !== ')') fail('unclosed (');
    } else if (t === ')') fail('unexpected )');
    else cmd.push(operand(t));
  }
  if (cmd.length) pipe.push(cmd);
  if (!pipe.length) fail('missing value for command');
  return pipe;
}

function operand(t: string): Operand {
  if (t === '.') return { k: 'field', base: 'dot', path: [] };
  if (t.startsWith('.')) return { k: 'field', base: 'dot', path: t.slice(1).split('.') };
  if (t === '$') return { k: 'field', base: 'root', path: [] };
  if (t.startsWith('$.')) return { k: 'field', base: 'root', path: t.slice(2).split('.') };
  if (/^\$\w+/.test(t)) {
    const [name, ...path] = t.split('.');
    return { k: 'var', name: name!, path };
  }
  if (t.startsWith('"')) return { k: 'lit', value: JSON.parse(t) };
  if (t.startsWith('`')) return { k: 'lit', value: t.slice(1, -1) };
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) return { k: 'lit', value: Number(t) };
  if (t === 'true' || t === 'false') return { k: 'lit', value: t === 'true' };
  if (t === 'nil') return { k: 'lit', value: null };
  if (t in FUNCS) return { k: 'fn', name: t };
  return fail(`function "${t}" not defined`);
}

/** A leading declaration of an action's tokens (`$x :=`, `$x =`, `$k, $v :=`), removed from `toks`. */
function takeDecl(toks: string[], allowTwo: boolean): Decl | undefined {
  const isVar = (t: string | undefined) => !!t && /^\$\w+$/.test(t);
  if (isVar(toks[0]) && (toks[1] === ':=' || toks[1] === '=')) {
    const decl = { names: [toks[0]!], assign: toks[1] === '=' };
    toks.splice(0, 2);
    return decl;
  }
  if (isVar(toks[0]) && toks[1] === ',' && isVar(toks[2]) && toks[3] === ':=') {
    if (!allowTwo) fail('too many declarations in command');
    const decl = { names: [toks[0]!, toks[2]!], assign: false };
    toks.splice(0, 4);
    return decl;
  }
  return undefined;
}

// ---- parsing the whole template ----
function parse(src: string): Node[] {
  const parts: { text?: string; action?: string }[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) { parts.push({ text: src.slice(i) }); break; }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start)) { text = text.replace(/\s+$/, ''); start++; }
    const close = src.indexOf('}}', start);
    if (close < 0) fail('unclosed action');
    let inner = src.slice(start, close);
    i = close + 2;
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      const ws = /^\s*/.exec(src.slice(i))![0];
      i += ws.length;
    }
    parts.push({ text }, { action: inner.trim() });
  }
  const pos = { i: 0 };
  const nodes = parseList(parts, pos, []);
  if (pos.i < parts.length) fail(`unexpected {{${parts[pos.i]!.action}}}`);
  return nodes;
}

function parseList(parts: { text?: string; action?: string }[], pos: { i: number }, stops: string[]): Node[] {
  const out: Node[] = [];
  while (pos.i < parts.length) {
    const p = parts[pos.i]!;
    if (p.text !== undefined) { if (p.text) out.push({ k: 'text', text: p.text }); pos.i++; continue; }
    const a = p.action!;
    if (a.startsWith('/*')) { pos.i++; continue; }
    const word = a.split(/\s+/)[0]!;
    if (stops.includes(word)) return out;
    pos.i++;
    if (word === 'if' || word === 'with' || word === 'range') out.push(parseBlock(word, a.slice(word.length), parts, pos));
    else if (word === 'end' || word === 'else') fail(`unexpected {{${word}}}`);
    else {
      const toks = tokenize(a);
      const decl = takeDecl(toks, false);
      out.push({ k: 'action', pipe: parsePipe(toks, { i: 0 }), src: a, ...(decl ? { decl } : {}) });
    }
  }
  if (stops.length) fail('unexpected EOF: missing {{end}}');
  return out;
}

function parseBlock(kind: 'if' | 'with' | 'range', rest: string, parts: { text?: string; action?: string }[], pos: { i: number }): Node {
  const toks = tokenize(rest);
  const decl = takeDecl(toks, kind === 'range');
  const pipe = parsePipe(toks, { i: 0 });
  const body = parseList(parts, pos, ['else', 'end']);
  let alt: Node[] = [];
  const stop = parts[pos.i++]!.action!;
  if (stop.startsWith('else')) {
    const after = stop.slice(4).trim();
    if (after.startsWith('if ') && kind === 'if') alt = [parseBlock('if', after.slice(2), parts, pos)];
    else {
      alt = parseList(parts, pos, ['end']);
      pos.i++;
    }
  }
  return { k: kind, pipe, body, alt, ...(decl ? { decl } : {}) };
}

// ---- evaluating ----
function truthy(v: unknown): boolean {
  if (v === NO_VALUE || v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** Go's fmt %v for JSON-shaped values. */
export function goString(v: unknown): string {
  if (v === NO_VALUE || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.keys(v as object).sort().map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}

function toJson(v: unknown): string {
  return JSON.stringify(v === NO_VALUE || v === undefined ? null : v);
}

const FUNCS: Record<string, (...a: unknown[]) => unknown> = {
  json: (v) => toJson(v),
  join: (a, sep) => (Array.isArray(a) ? a.map(goString).join(String(sep)) : fail('join expects a list')),
  split: (s, sep) => String(s).split(String(sep)),
  lower: (s) => goString(s).toLowerCase(),
  upper: (s) => goString(s).toUpperCase(),
  title: (s) => goString(s).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  pad: (s, l, r) => ' '.repeat(Number(l)) + goString(s) + ' '.repeat(Number(r)),
  truncate: (s, n) => [...goString(s)].slice(0, Number(n)).join(''),
  println: (...a) => a.map(goString).join(' ') + '\n',
  print: (...a) => a.map(goString).join(''),
  printf: (f, ...a) => String(f).replace(/%([svdq%])/g, (_m, c: string) => (c === '%' ? '%' : c === 'q' ? JSON.stringify(goString(a.shift())) : goString(a.shift()))),
  len: (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : fail('len of a value without length')),
  index: (v, ...keys) => keys.reduce((acc: unknown, k) => (acc && typeof acc === 'object' ? (acc as Record<string, unknown>)[String(k)] : undefined), v),
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => (a as number) < (b as number),
  le: (a, b) => (a as number) <= (b as number),
  gt: (a, b) => (a as number) > (b as number),
  ge: (a, b) => (a as number) >= (b as number),
  not: (a) => !truthy(a),
  // and/or short-cut on Go truthiness; callFn handles them, listed here so the parser knows them.
  and: () => undefined,
  or: () => undefined,
};

/** Variables live until the {{end}} of the block that declared them, as in Go. */
interface Vars { map: Map<string, unknown>; parent: Vars | undefined }
interface Scope { dot: unknown; root: unknown; missing: 'error' | 'novalue'; vars: Vars }

function inner(sc: Scope, dot = sc.dot): Scope {
  return { ...sc, dot, vars: { map: new Map(), parent: sc.vars } };
}

function lookupVar(sc: Scope, name: string, src: string): unknown {
  for (let v: Vars | undefined = sc.vars; v; v = v.parent) if (v.map.has(name)) return v.map.get(name);
  return fail(`undefined variable "${name}" in <${src}>`);
}

function assignVar(sc: Scope, name: string, value: unknown, src: string): void {
  for (let v: Vars | undefined = sc.vars; v; v = v.parent) if (v.map.has(name)) return void v.map.set(name, value);
  fail(`undefined variable "${name}" in <${src}>`);
}

function declare(sc: Scope, decl: Decl | undefined, value: unknown, src: string): void {
  if (!decl) return;
  if (decl.assign) assignVar(sc, decl.names[0]!, value, src);
  else sc.vars.map.set(decl.names[0]!, value);
}

function field(base: unknown, path: string[], sc: Scope, src: string): unknown {
  let v = base;
  for (const key of path) {
    if (v === null || v === undefined || v === NO_VALUE || typeof v !== 'object') {
      if (v === NO_VALUE || v === undefined || v === null) return sc.missing === 'error' ? fail(`executing at <${src}>: nil pointer evaluating .${key}`) : NO_VALUE;
      return fail(`executing at <${src}>: can't evaluate field ${key} in type ${typeof v}`);
    }
    if (!Object.prototype.hasOwnProperty.call(v, key)) {
      if (sc.missing === 'error') fail(`executing at <${src}>: can't evaluate field ${key}`);
      return NO_VALUE;
    }
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function evalOperand(o: Operand, sc: Scope, src: string): unknown {
  if (o.k === 'lit') return o.value;
  if (o.k === 'sub') return evalPipe(o.pipe, sc, src);
  if (o.k === 'fn') return callFn(o.name, [], src);
  if (o.k === 'var') return field(lookupVar(sc, o.name, src), o.path, sc, src);
  return field(o.base === 'dot' ? sc.dot : sc.root, o.path, sc, src);
}

function callFn(name: string, args: unknown[], src: string): unknown {
  if (name === 'and') return args.find((a) => !truthy(a)) ?? args[args.length - 1];
  if (name === 'or') return args.find((a) => truthy(a)) ?? args[args.length - 1];
  try {
    return FUNCS[name]!(...args);
  } catch (e) {
    if (e instanceof SkiffError) throw e;
    return fail(`executing at <${src}>: error calling ${name}: ${(e as Error).message}`);
  }
}

function evalPipe(pipe: Pipe, sc: Scope, src: string): unknown {
  let prev: unknown = NO_VALUE;
  pipe.forEach((cmd, n) => {
    const [head, ...rest] = cmd;
    const args = rest.map((o) => evalOperand(o, sc, src));
    if (n > 0) args.push(prev);
    if (head!.k === 'fn') prev = callFn(head!.name, args, src);
    else if (args.length) fail(`can't give argument to non-function ${src}`);
    else prev = evalOperand(head!, sc, src);
  });
  return prev;
}

function run(nodes: Node[], sc: Scope): string {
  let out = '';
  for (const n of nodes) {
    if (n.k === 'text') out += n.text;
    else if (n.k === 'action') {
      const v = evalPipe(n.pipe, sc, n.src);
      // A declaration or assignment prints nothing.
      if (n.decl) declare(sc, n.decl, v, n.src);
      else out += goString(v);
    } else {
      const v = evalPipe(n.pipe, sc, n.k);
      if (n.k === 'if') {
        const body = inner(sc);
        declare(body, n.decl, v, n.k);
        out += run(truthy(v) ? n.body : n.alt, body);
      } else if (n.k === 'with') {
        if (truthy(v)) {
          const body = inner(sc, v);
          declare(body, n.decl, v, n.k);
          out += run(n.body, body);
        } else out += run(n.alt, inner(sc));
      } else {
        // Go ranges over a map in sorted key order; with two variables the first gets the key (or index).
        const entries: Array<[unknown, unknown]> = Array.isArray(v) ? v.map((it, i) => [i, it])
          : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]) : [];
        out += entries.length ? entries.map(([key, it]) => {
          const body = inner(sc, it);
          if (n.decl?.names.length === 2) {
            body.vars.map.set(n.decl.names[0]!, key);
            body.vars.map.set(n.decl.names[1]!, it);
          } else if (n.decl) body.vars.map.set(n.decl.names[0]!, it);
          return run(n.body, body);
        }).join('') : run(n.alt, inner(sc));
      }
    }
  }
  return out;
}

export interface Template { render(data: unknown): string }

export function compileTemplate(src: string, opts: TemplateOptions = {}): Template {
  const nodes = parse(src);
  const missing = opts.missing ?? 'novalue';
  return { render: (data) => run(nodes, { dot: data, root: data, missing, vars: { map: new Map(), parent: undefined } }) };
}

/** Docker's --format handling: a `table` prefix, `\t` and `\n` escapes written literally by the user. */
export interface FormatSpec { table: boolean; body: string }

export function parseFormat(format: string): FormatSpec {
  const table = format.startsWith('table');
  let body = table ? format.slice('table'.length) : format;
  body = body.trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return { table, body };
}
