// nftables through libnftables' JSON API via ffi-rs: no `nft` process, no string-glued rules.
// Each call gets a fresh context (nft_ctx_new is cheap next to the netlink work it does), with
// output and errors captured into buffers instead of the process's stdout/stderr.
import type { DataType } from 'ffi-rs';
import ffi from './ffi-load.js';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';

const T = ffi.DataType;
const NFT_CTX_OUTPUT_HANDLE = 1 << 0;
const NFT_CTX_OUTPUT_JSON = 1 << 4;

let opened = false;
function ensureOpen(): void {
  if (opened) return;
  try {
    ffi.open({ library: 'nftables', path: 'libnftables.so.1' });
  } catch (e) {
    throw new SkiffError('ENETWORK', 'libnftables.so.1 is missing', 'install it: apt-get install libnftables1 (scripts/install-deps.sh does)', { cause: e });
  }
  opened = true;
}

function lib<R>(funcName: string, retType: DataType, paramsType: DataType[], paramsValue: unknown[]): R {
  return ffi.load({ library: 'nftables', funcName, retType, paramsType, paramsValue } as never) as R;
}

export type NftCommand = Record<string, unknown>;

/**
 * Run a batch of JSON commands atomically (libnftables sends one netlink batch: all or nothing).
 * Returns the parsed JSON output (list commands), or undefined when there was none.
 */
export function nft(commands: NftCommand[], what: string): { nftables: Array<Record<string, unknown>> } | undefined {
  ensureOpen();
  trace.step('nft', what);
  const ctx = lib<unknown>('nft_ctx_new', T.External, [T.I32], [0]);
  try {
    lib('nft_ctx_output_set_flags', T.Void, [T.External, T.I32], [ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE]);
    lib('nft_ctx_buffer_output', T.I32, [T.External], [ctx]);
    lib('nft_ctx_buffer_error', T.I32, [T.External], [ctx]);
    const rc = lib<number>('nft_run_cmd_from_buffer', T.I32, [T.External, T.String], [ctx, JSON.stringify({ nftables: commands })]);
    if (rc !== 0) {
      const err = lib<string>('nft_ctx_get_error_buffer', T.String, [T.External], [ctx]).trim();
      const first = err.split('\n').find((l) => l.includes('Error')) ?? err.split('\n')[0] ?? 'unknown error';
      throw new SkiffError('ENETWORK', `nftables: ${what} failed: ${first.replace(/^.*Error:\s*/, '')}`,
        'run with --trace to see the rules; skiff needs CAP_NET_ADMIN in its network namespace and nf_tables in the kernel');
    }
    const out = lib<string>('nft_ctx_get_output_buffer', T.String, [T.External], [ctx]).trim();
    return out ? JSON.parse(out) : undefined;
  } finally {
    lib('nft_ctx_free', T.Void, [T.External], [ctx]);
  }
}
