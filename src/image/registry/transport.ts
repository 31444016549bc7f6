// One HTTP exchange with a registry, made robust: plain http only for loopback or registries the user
// named insecure, retries with exponential backoff on 5xx / 429 / connection resets, and network
// failures turned into one-line errors that say which host could not be reached.
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '../../errors.js';
import { log } from '../../log.js';
import { relayConnector, relayFetch } from './host-loopback.js';

export const RETRYABLE = new Set([429, 500, 502, 503, 504]);
export const MAX_ATTEMPTS = 4;

/** Registries skiff may talk to over plain http: loopback always, others only when named. */
export function insecureRegistries(extra: string[] = []): Set<string> {
  const env = (process.env.SKIFF_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return new Set([...env, ...extra]);
}

export function isLoopbackHost(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(0, domain.indexOf(']') + 1) : domain.split(':')[0]!;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `docker.io` is served from registry-1.docker.io; everything else is its own host. */
export function registryBaseUrl(domain: string, insecure: Set<string>): string {
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  const plain = isLoopbackHost(domain) || insecure.has(domain);
  return `${plain ? 'http' : 'https'}://${host}`;
}

export function backoffMs(attempt: number): number {
  const base = Number(process.env.SKIFF_RETRY_BASE_MS ?? 200);
  return base * 2 ** attempt * (0.75 + Math.random() * 0.5);
}

export function isTransientNetworkError(e: unknown): boolean {
  const err = e as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  const code = err?.cause?.code ?? err?.code ?? '';
  return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'EAI_AGAIN'].includes(code) || err?.name === 'TypeError';
}

export interface SendInit {
  method: string;
  headers: Record<string, string>;
  /** A factory, so a retried request sends a fresh body. */
  body?: () => BodyInit | AsyncIterable<Uint8Array>;
}

/** fetch with retries. Returns the final response (which may be a 4xx for the caller to judge). */
export async function send(url: string, init: SendInit, what: string): Promise<Response> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      const body = init.body?.();
      // A rootless service reaches a registry on the host's loopback through its relay (host-loopback.ts).
      const res = relayConnector(new URL(url)) ? await relayFetch(url, init.method, init.headers, body) : await fetch(url, {
        method: init.method,
        headers: init.headers,
        redirect: 'follow',
        ...(body !== undefined ? { body: body as BodyInit, duplex: 'half' } : {}),
      } as RequestInit);
      if (!RETRYABLE.has(res.status) || attempt === MAX_ATTEMPTS - 1) return res;
      log().debug({ url, status: res.status, attempt }, 'registry: retrying');
      await res.body?.cancel().catch(() => {});
    } catch (e) {
      lastErr = e;
      if (!isTransientNetworkError(e) || attempt === MAX_ATTEMPTS - 1) break;
      log().debug({ url, err: String(e), attempt }, 'registry: retrying after network error');
    }
    await sleep(backoffMs(attempt));
  }
  const host = new URL(url).host;
  const cause = (lastErr as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (lastErr as Error)?.message ?? 'unknown error';
  throw new SkiffError('EREGISTRY', `cannot reach registry ${host} while ${what} (${detail})`, 'check that the registry is running and reachable; http is used only for localhost or --insecure-registry', { cause: lastErr });
}
