// Image references parsed the way Docker parses them (distribution/reference "normalized named"):
//   nginx                      → docker.io/library/nginx:latest
//   diamol/base                → docker.io/diamol/base:latest
//   host:5000/a/b:tag          → host:5000/a/b:tag
//   name@sha256:<64 hex>       → pinned by digest (no implied tag)
// and printed back in Docker's "familiar" form for humans (`diamol/base:latest`, `nginx:1.28.0`).
import { SkiffError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[a-fA-F0-9:]+\](?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface ImageRef {
  /** Registry host, with port when given: `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/nginx`, `diamol/base`. */
  path: string;
  /** Tag; `latest` when neither a tag nor a digest was given. */
  tag?: string;
  digest?: string;
}

function bad(input: string, why: string): SkiffError {
  return new SkiffError('EREFERENCE', `invalid reference format "${input}": ${why}`, 'use NAME[:TAG] or NAME@sha256:DIGEST, e.g. diamol/base:latest');
}

export function parseReference(input: string): ImageRef {
  if (!input) throw bad(input, 'empty reference');
  if (input.length > 255 + 135) throw bad(input, 'too long');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(input, 'a digest must be sha256: followed by 64 lowercase hex digits');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(input, `"${tag}" is not a valid tag`);
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (!DOMAIN.test(domain)) throw bad(input, `"${domain}" is not a valid registry host`);
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (!path) throw bad(input, 'missing repository name');
  if (path !== path.toLowerCase()) throw bad(input, 'repository name must be lowercase');
  for (const c of path.split('/')) {
    if (!COMPONENT.test(c)) throw bad(input, `"${c}" is not a valid repository name component`);
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  if (domain.length + 1 + path.length > 255) throw bad(input, 'repository name must not be more than 255 characters');
  if (!tag && !digest) tag = 'latest';
  return { domain, path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `docker.io/library/nginx` → `nginx`, `docker.io/diamol/base` → `diamol/base`, others unchanged. */
export function familiarName(ref: Pick<ImageRef, 'domain' | 'path'>): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith(OFFICIAL_PREFIX) && ref.path.split('/').length === 2 ? ref.path.slice(OFFICIAL_PREFIX.length) : ref.path;
}

/** `docker.io/library/nginx` (what the registry and the store key on). */
export function fullName(ref: Pick<ImageRef, 'domain' | 'path'>): string {
  return `${ref.domain}/${ref.path}`;
}

/** The familiar name with its tag or digest: `diamol/base:latest`, `nginx@sha256:…`. */
export function familiarString(ref: ImageRef): string {
  const name = familiarName(ref);
  if (ref.tag && ref.digest) return `${name}:${ref.tag}@${ref.digest}`;
  return ref.digest ? `${name}@${ref.digest}` : `${name}:${ref.tag ?? 'latest'}`;
}

/** Tag or digest as the registry API wants it in /v2/<name>/manifests/<reference>. */
export function manifestReference(ref: ImageRef): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Does a user-typed string look like a (possibly short) image id rather than a name? */
export function looksLikeImageId(s: string): boolean {
  return /^(sha256:)?[a-f0-9]{4,64}$/.test(s);
}
