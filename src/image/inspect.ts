// `image inspect`: Docker's JSON shape for an image (moby's image inspect, as dockerd 20.10 answers
// it), built from the record and its config blob. Size is the unpacked size, as Docker's.
import { readBlob } from './blobs.js';
import { parseConfig } from './manifest.js';
import { displayTag, requireImage } from './store.js';
import { join } from 'node:path';
import { layerChainIds, unpackedSize } from './layers.js';
import { storePaths } from '../state/paths.js';
import type { OciImageConfig } from './oci-types.js';

type RunConfig = NonNullable<OciImageConfig['config']> & Record<string, unknown>;

/** An image's run config in moby's container.Config field order, with its always-present fields. */
function dockerConfig(c: RunConfig | undefined): Record<string, unknown> {
  const cfg = c ?? ({} as RunConfig);
  const opt = (k: string) => (cfg[k] !== undefined && cfg[k] !== null && cfg[k] !== '' ? { [k]: cfg[k] } : {});
  const labels = cfg.Labels ? Object.fromEntries(Object.entries(cfg.Labels).sort(([a], [b]) => (a < b ? -1 : 1))) : null;
  return {
    Hostname: '', Domainname: '', User: cfg.User ?? '',
    AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ...opt('ExposedPorts'),
    Tty: false, OpenStdin: false, StdinOnce: false,
    Env: cfg.Env ?? null, Cmd: cfg.Cmd ?? null,
    ...opt('Healthcheck'), ...opt('ArgsEscaped'),
    Image: '', Volumes: cfg.Volumes ?? null, WorkingDir: cfg.WorkingDir ?? '', Entrypoint: cfg.Entrypoint ?? null,
    OnBuild: cfg.OnBuild ?? null, Labels: labels,
    ...opt('StopSignal'), ...opt('StopTimeout'), ...opt('Shell'),
  };
}

/** Where the layers are unpacked, in overlay2's terms: the top layer as UpperDir, the others below it. */
function graphDriver(layers: Parameters<typeof layerChainIds>[0]): Record<string, unknown> {
  const dirs = layerChainIds(layers).map((id) => join(storePaths().layers, id.slice(7), 'diff')).reverse();
  const data: Record<string, string> = {};
  if (dirs.length > 1) data.LowerDir = dirs.slice(1).join(':');
  if (dirs[0]) data.UpperDir = dirs[0];
  return { Data: data, Name: 'overlay' };
}

export function inspectImage(arg: string): Record<string, unknown> {
  const r = requireImage(arg);
  const cfg = parseConfig(readBlob(r.config.digest), r.layers.length);
  const size = unpackedSize(r);
  return {
    Id: r.id,
    RepoTags: [...r.repoTags].sort().map(displayTag),
    RepoDigests: [...r.repoDigests].sort().map(displayTag),
    Parent: '',
    Comment: (cfg as { comment?: string }).comment ?? '',
    Created: cfg.created ?? '',
    DockerVersion: (cfg as { docker_version?: string }).docker_version ?? '',
    Author: cfg.author ?? '',
    Config: dockerConfig(cfg.config as RunConfig | undefined),
    Architecture: cfg.architecture,
    ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Os: cfg.os,
    Size: size,
    VirtualSize: size,
    GraphDriver: graphDriver(r.layers),
    RootFS: { Type: 'layers', Layers: cfg.rootfs.diff_ids },
    Metadata: { LastTagTime: r.addedAt },
    Descriptor: { mediaType: r.manifest.mediaType, digest: r.manifest.digest, size: r.manifest.size },
  };
}
