// `GET /images/json?filters=…` as moby reads them: `reference` (a familiar name or glob, with an
// optional tag: `docker images nginx`, `docker image ls 'diamol/*'`), `dangling=true|false`, `label`.
// A reference filter also narrows an image's RepoTags to the matching ones, as moby does.
import { ApiError } from '../errors.js';
import type { ImageRecord } from '../../image/store.js';
import { familiarName, parseReference } from '../../image/reference.js';
import { readBlob } from '../../image/blobs.js';

/** Go's path.Match for the patterns people type: `*` (no slash), `?`, everything else literal. */
function globRegExp(pattern: string): RegExp {
  const src = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${src}$`);
}

function labelsOf(r: ImageRecord): Record<string, string> {
  try {
    return (JSON.parse(readBlob(r.config.digest).toString('utf8')) as { config?: { Labels?: Record<string, string> } }).config?.Labels ?? {};
  } catch {
    return {};
  }
}

/** A function that returns the record to list (tags possibly narrowed) or undefined to drop it. */
export function imageListFilter(filters: string[]): (r: ImageRecord) => ImageRecord | undefined {
  const refs: { name: RegExp; tag?: RegExp }[] = [];
  let dangling: boolean | undefined;
  const labels: string[] = [];
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (key === 'reference') {
      const slash = value.lastIndexOf('/');
      const colon = value.lastIndexOf(':');
      const hasTag = colon > slash;
      refs.push({ name: globRegExp(hasTag ? value.slice(0, colon) : value), ...(hasTag ? { tag: globRegExp(value.slice(colon + 1)) } : {}) });
    } else if (key === 'dangling') {
      if (!['true', 'false', '1', '0'].includes(value)) throw new ApiError(400, `invalid filter 'dangling=${value}'`);
      dangling = value === 'true' || value === '1';
    } else if (key === 'label') labels.push(value);
    else throw new ApiError(400, `invalid filter '${key}'`);
  }
  return (r) => {
    if (dangling !== undefined && (r.repoTags.length === 0) !== dangling) return undefined;
    if (labels.length) {
      const have = labelsOf(r);
      if (!labels.every((l) => { const [k, v] = l.split('=', 2) as [string, string | undefined]; return k in have && (v === undefined || have[k] === v); })) return undefined;
    }
    if (refs.length === 0) return r;
    const tags = r.repoTags.filter((t) => {
      const ref = parseReference(t);
      const name = familiarName(ref);
      return refs.some((p) => (p.name.test(name) || p.name.test(`${ref.domain}/${ref.path}`)) && (!p.tag || p.tag.test(ref.tag ?? '')));
    });
    return tags.length ? { ...r, repoTags: tags } : undefined;
  };
}
