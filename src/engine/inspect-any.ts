// `skiff inspect [--type T] NAME…`: Docker's generic inspect. Without --type a name is looked up as a
// container, then an image, a network, a volume (docker/cli's order); the objects found are printed as
// one JSON array (or through a --format template), each name not found is an error line, and the
// status is 1 if any was missing.
import { SkiffError } from '../errors.js';
import { missingImageName } from '../image/store.js';

export const INSPECT_TYPES = ['container', 'image', 'network', 'volume'] as const;
export type InspectType = (typeof INSPECT_TYPES)[number];

async function lookup(type: InspectType, ref: string): Promise<Record<string, unknown> | undefined> {
  const absent = (e: unknown) => ['ENOCONTAINER', 'ENOIMAGE', 'EREFERENCE'].includes((e as { code?: string }).code ?? '');
  try {
    if (type === 'container') {
      const { resolveContainer } = await import('../state/containers.js');
      const { loadContainer } = await import('../state/liveness.js');
      const { inspectObject } = await import('./inspect.js');
      return inspectObject(await loadContainer(resolveContainer(ref)));
    }
    if (type === 'image') {
      const { inspectImage } = await import('../image/inspect.js');
      return inspectImage(ref);
    }
    if (type === 'network') {
      const { networkInspectObject } = await import('./network.js');
      return await networkInspectObject(ref);
    }
    const { getVolume } = await import('../volumes/store.js');
    return getVolume(ref) as Record<string, unknown> | undefined;
  } catch (e) {
    if (absent(e)) return undefined;
    throw e;
  }
}

const NOT_FOUND: Record<InspectType, (ref: string) => string> = {
  container: (r) => `No such container: ${r}`,
  image: (r) => `No such image: ${missingImageName(r)}`,
  network: (r) => `network ${r} not found`,
  volume: (r) => `get ${r}: no such volume`,
};

export function parseInspectType(text: string | undefined): InspectType | undefined {
  if (text === undefined || text === '') return undefined;
  if (!(INSPECT_TYPES as readonly string[]).includes(text)) {
    throw new SkiffError('EUSAGE', `unknown type: "${text}": must be one of ${INSPECT_TYPES.map((t) => `"${t}"`).join(', ')}`, 'skiff has containers, images, networks and volumes', { exitCode: 1 });
  }
  return text as InspectType;
}

export async function inspectAny(refs: string[], type: InspectType | undefined, format?: string): Promise<{ stdout: string; errors: string[] }> {
  const found: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    let doc: Record<string, unknown> | undefined;
    for (const t of type ? [type] : INSPECT_TYPES) {
      doc = await lookup(t, ref);
      if (doc) break;
    }
    if (doc) found.push(doc);
    else errors.push(type ? NOT_FOUND[type](ref) : `No such object: ${ref}`);
  }
  const { dockerJson } = await import('./inspect.js');
  if (format === undefined || format === '') return { stdout: `${dockerJson(found)}\n`, errors };
  const { compileTemplate, parseFormat } = await import('../format/template.js');
  const tpl = compileTemplate(parseFormat(format === 'json' ? '{{json .}}' : format).body, { missing: 'novalue' });
  return { stdout: found.map((o) => `${tpl.render(o)}\n`).join(''), errors };
}
