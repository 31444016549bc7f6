// A client for one registry (OCI distribution spec): manifests and blobs, read and written.
// Authentication follows the challenge the registry sends back, as Docker does:
//   401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…` → GET realm (with Basic credentials when
//   `skiff login` stored some) → token, cached per repository scope;
//   401 + `WWW-Authenticate: Basic` → stored credentials, or EAUTH saying to log in.
import { SkiffError } from '../../errors.js';
import { ACCEPT_MANIFESTS } from '../oci-types.js';
import { sha256 } from '../blobs.js';
import { parseChallenge } from './challenge.js';
import { getCredentials, type Credentials } from './credentials.js';
import { insecureRegistries, registryBaseUrl, send } from './transport.js';

export type Access = 'pull' | 'pull,push';
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface RegistryClientOptions {
  insecureRegistries?: string[];
  /** Use these instead of the stored ones (login checks them before saving). */
  credentials?: Credentials;
}

export interface FetchedManifest { bytes: Buffer; mediaType: string; digest: string }

export class RegistryClient {
  readonly base: string;
  private readonly authz = new Map<string, string>();
  private readonly creds: Credentials | undefined;

  constructor(readonly domain: string, opts: RegistryClientOptions = {}) {
    this.base = registryBaseUrl(domain, insecureRegistries(opts.insecureRegistries));
    this.creds = opts.credentials ?? getCredentials(domain);
  }

  /** A request with auth: on 401 answer the challenge once, then repeat. */
  async request(method: string, path: string, o: { repo?: string; access?: Access; headers?: Record<string, string>; body?: () => BodyInit | AsyncIterable<Uint8Array>; what: string }): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const scope = o.repo ? `repository:${o.repo}:${o.access ?? 'pull'}` : '';
    const headers = (): Record<string, string> => {
      const h = { ...(o.headers ?? {}) };
      const a = this.authz.get(scope);
      if (a) h.authorization = a;
      return h;
    };
    let res = await send(url, { method, headers: headers(), ...(o.body ? { body: o.body } : {}) }, o.what);
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel().catch(() => {});
      await this.authenticate(challenge, scope);
      res = await send(url, { method, headers: headers(), ...(o.body ? { body: o.body } : {}) }, o.what);
      if (res.status === 401) {
        await res.body?.cancel().catch(() => {});
        throw new SkiffError('EAUTH', `${this.domain}: authentication required while ${o.what}`, this.creds ? `the stored credentials were refused; run \`skiff login ${this.domain}\` again` : `run \`skiff login ${this.domain}\` first`);
      }
    }
    if (res.status === 403) {
      await res.body?.cancel().catch(() => {});
      throw new SkiffError('EAUTH', `${this.domain}: access denied while ${o.what}`, 'check that your account may access this repository');
    }
    return res;
  }

  private async authenticate(header: string | null, scope: string): Promise<void> {
    const ch = parseChallenge(header);
    if (!ch) throw new SkiffError('EREGISTRY', `${this.domain} answered 401 without an authentication challenge`, 'the registry is misconfigured');
    if (ch.scheme === 'basic') {
      if (!this.creds) throw new SkiffError('EAUTH', `${this.domain} requires a login`, `run \`skiff login ${this.domain}\``);
      this.authz.set(scope, `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`);
      return;
    }
    if (ch.scheme !== 'bearer' || !ch.params.realm) {
      throw new SkiffError('EREGISTRY', `${this.domain} asks for unsupported authentication "${ch.scheme}"`, 'skiff supports Basic and Bearer token authentication');
    }
    const u = new URL(ch.params.realm);
    if (ch.params.service) u.searchParams.set('service', ch.params.service);
    if (scope) u.searchParams.set('scope', scope);
    else if (ch.params.scope) u.searchParams.set('scope', ch.params.scope);
    if (u.protocol === 'http:' && !/^(localhost|127\.|\[::1\])/.test(u.host) && !this.base.startsWith('http:')) {
      throw new SkiffError('EAUTH', `refusing to send credentials to a plain-http token service ${u.host}`, 'the registry\'s token realm must use https');
    }
    const h: Record<string, string> = {};
    if (this.creds) h.authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
    const res = await send(u.toString(), { method: 'GET', headers: h }, `getting a token from ${u.host}`);
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel().catch(() => {});
      throw new SkiffError('EAUTH', `${u.host} refused to issue a token (HTTP ${res.status})`, this.creds ? `check your password; run \`skiff login ${this.domain}\` again` : `run \`skiff login ${this.domain}\` first`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new SkiffError('EAUTH', `token service ${u.host} answered HTTP ${res.status}`, 'try again later');
    }
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new SkiffError('EAUTH', `token service ${u.host} returned no token`, 'the registry\'s token service is misconfigured');
    this.authz.set(scope, `Bearer ${token}`);
  }

  /** Check the registry speaks v2 and that we may log in (used by `skiff login`). */
  async ping(): Promise<void> {
    const res = await this.request('GET', '/v2/', { what: 'checking the registry' });
    await res.body?.cancel().catch(() => {});
    if (!res.ok) throw new SkiffError('EREGISTRY', `${this.domain} answered HTTP ${res.status} to /v2/`, 'is this a Docker/OCI registry?');
  }

  /** GET a manifest by tag or digest; verifies it against the digest when one is known. */
  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${reference}`, { repo, headers: { accept: ACCEPT_MANIFESTS }, what: `fetching manifest ${repo}:${reference}` });
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      throw new SkiffError('ENOIMAGE', `manifest for ${repo}:${reference} not found on ${this.domain}`, 'check the name and tag (skiff pull NAME:TAG)');
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new SkiffError('EREGISTRY', `${this.domain} answered HTTP ${res.status} for manifest ${repo}:${reference}${text ? `: ${text.trim().slice(0, 200)}` : ''}`, 'try again later');
    }
    const len = Number(res.headers.get('content-length') ?? 0);
    if (len > MAX_MANIFEST_BYTES) throw new SkiffError('EMANIFEST', `manifest ${repo}:${reference} is too large (${len} bytes)`, 'refusing to read it');
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > MAX_MANIFEST_BYTES) throw new SkiffError('EMANIFEST', `manifest ${repo}:${reference} is too large`, 'refusing to read it');
    const digest = sha256(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new SkiffError('EDIGEST', `manifest for ${repo}@${reference} does not match its digest (got ${digest})`, 'the registry served wrong content');
    }
    const header = res.headers.get('docker-content-digest');
    if (header && header.startsWith('sha256:') && header !== digest) {
      throw new SkiffError('EDIGEST', `manifest ${repo}:${reference} does not match the registry's Docker-Content-Digest (${header} vs ${digest})`, 'the registry served wrong content');
    }
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string };
      if (parsed.mediaType) mediaType = parsed.mediaType;
    } catch {
      throw new SkiffError('EMANIFEST', `manifest ${repo}:${reference} is not valid JSON`, 'the registry served a malformed manifest');
    }
    return { bytes, mediaType, digest };
  }

  /** Open a blob for streaming; the caller verifies digest and size while storing it. */
  async openBlob(repo: string, digest: string): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`, { repo, what: `fetching blob ${digest.slice(7, 19)}` });
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      throw new SkiffError('EREGISTRY', `blob ${digest} of ${repo} is missing on ${this.domain}`, 'the image is incomplete on the registry; push it again');
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new SkiffError('EREGISTRY', `${this.domain} answered HTTP ${res.status} for blob ${digest.slice(7, 19)}`, 'try again later');
    }
    return res.body as unknown as AsyncIterable<Uint8Array>;
  }

  async hasBlob(repo: string, digest: string, access: Access = 'pull'): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { repo, access, what: `checking blob ${digest.slice(7, 19)}` });
    await res.body?.cancel().catch(() => {});
    if (res.status === 404) return false;
    if (res.ok) return true;
    throw new SkiffError('EREGISTRY', `${this.domain} answered HTTP ${res.status} checking blob ${digest.slice(7, 19)}`, 'try again later');
  }

  /** Monolithic upload: POST to open a session, PUT the whole blob with ?digest=. */
  async uploadBlob(repo: string, digest: string, size: number, body: () => AsyncIterable<Uint8Array>): Promise<void> {
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { repo, access: 'pull,push', headers: { 'content-length': '0' }, what: `starting upload of ${digest.slice(7, 19)}` });
    await start.body?.cancel().catch(() => {});
    const loc = start.headers.get('location');
    if (start.status !== 202 || !loc) throw new SkiffError('EREGISTRY', `${this.domain} refused to start an upload (HTTP ${start.status})`, 'check that you may push to this repository');
    const u = new URL(loc, this.base);
    u.searchParams.set('digest', digest);
    const put = await this.request('PUT', u.toString(), {
      repo,
      access: 'pull,push',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      what: `uploading blob ${digest.slice(7, 19)}`,
    });
    const text = await put.text().catch(() => '');
    if (put.status !== 201) throw new SkiffError('EREGISTRY', `${this.domain} refused blob ${digest.slice(7, 19)} (HTTP ${put.status})${text ? `: ${text.trim().slice(0, 200)}` : ''}`, 'try the push again');
  }

  async putManifest(repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      repo,
      access: 'pull,push',
      headers: { 'content-type': mediaType },
      body: () => bytes,
      what: `pushing manifest ${repo}:${reference}`,
    });
    const text = await res.text().catch(() => '');
    if (res.status !== 201) throw new SkiffError('EREGISTRY', `${this.domain} refused the manifest (HTTP ${res.status})${text ? `: ${text.trim().slice(0, 200)}` : ''}`, 'check the image and your push rights');
    return res.headers.get('docker-content-digest') ?? sha256(bytes);
  }
}
