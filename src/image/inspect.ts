// `image inspect`: Docker's JSON shape for an image, built from the record and its config blob.
import { readBlob } from './blobs.js';
import { parseConfig } from './manifest.js';
import { displayTag, requireImage } from './store.js';
import { SkiffError } from '../errors.js';

export function inspectImage(arg: string): Record<string, unknown> {
  const r = requireImage(arg);
  const cfg = parseConfig(readBlob(r.config.digest), r.layers.length);
  return {
    Id: r.id,
    RepoTags: r.repoTags.map(displayTag),
    RepoDigests: r.repoDigests.map(displayTag),
    Parent: '',
    // commit/import -m and commit -a (moby's V1Image comment and author).
    Comment: (cfg as { comment?: string }).comment ?? '',
    Created: cfg.created ?? '',
    Config: cfg.config ?? {},
    Author: (cfg as { author?: string }).author ?? '',
    Architecture: cfg.architecture,
    Os: cfg.os,
    ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Size: r.size,
    RootFS: { Type: 'layers', Layers: cfg.rootfs.diff_ids },
    Metadata: { LastTagTime: r.addedAt },
    Descriptor: { mediaType: r.manifest.mediaType, digest: r.manifest.digest, size: r.manifest.size },
  };
}

/** The common `{{.A.B}}` / `{{json .A}}` templates; anything else is refused clearly. */
export function formatTemplate(tpl: string, doc: Record<string, unknown>): string {
  return tpl.replace(/\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}/g, (_m, json: string | undefined, path: string) => {
    let v: unknown = doc;
    for (const k of path.split('.').filter(Boolean)) v = (v as Record<string, unknown> | undefined)?.[k];
    if (json) return JSON.stringify(v ?? null);
    if (Array.isArray(v)) return `[${v.join(' ')}]`;
    if (v && typeof v === 'object') return `map[${Object.entries(v).map(([k, x]) => `${k}:${typeof x === 'object' ? JSON.stringify(x) : x}`).join(' ')}]`;
    return v === undefined || v === null ? '<no value>' : String(v);
  }).replace(/\{\{[^}]*\}\}/g, (m) => {
    throw new SkiffError('EUSAGE', `unsupported template ${m}`, 'use {{.Field.Sub}} or {{json .Field}}');
  });
}
