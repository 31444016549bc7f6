// The builder end to end without RUN: a Dockerfile of FROM scratch/ARG/LABEL/ENV/WORKDIR/COPY/ADD/
// EXPOSE/CMD → an OCI layout that skopeo inspects and umoci unpacks to exactly the expected files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needRoot } from '../helpers/conditions.js';
import { build, type RunStepSpec } from '../../src/image/build/builder.js';

const NOW = '2026-01-01T00:00:00Z';
let base: string;
let ctx: string;

const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG BASE=scratch
FROM \${BASE}
LABEL org.opencontainers.image.title="skiff test" \\
      maintainer=me
ENV WEB_ROOT=/usr/share/web \\
    GREETING="hello world"
WORKDIR $WEB_ROOT
COPY index.html .
# a comment between steps
COPY --chown=101:102 css/ css/
ADD app.tar.gz /opt/
ARG PORT=80
EXPOSE $PORT 8080/udp
CMD ["httpd", "-f", "-h", "/usr/share/web"]
`;

beforeAll(() => {
  base = mkdtempSync('/tmp/skiff-build-');
  ctx = join(base, 'ctx');
  mkdirSync(join(ctx, 'css'), { recursive: true });
  mkdirSync(join(base, 'app/bin'), { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(ctx, 'index.html'), '<h1>hello</h1>\n');
  writeFileSync(join(ctx, 'css/site.css'), 'body{}\n');
  writeFileSync(join(ctx, 'secret.txt'), 'do not ship\n');
  writeFileSync(join(ctx, '.dockerignore'), 'secret.txt\n*.swp\n');
  writeFileSync(join(base, 'app/bin/app'), 'app\n');
  execFileSync('tar', ['-czf', join(ctx, 'app.tar.gz'), '-C', join(base, 'app'), 'bin']);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('builder', () => {
  itWhen([needCommand('skopeo'), needCommand('umoci'), needRoot], 'writes an OCI layout skopeo and umoci accept, with the expected files and config', async () => {
    const out = join(base, 'layout');
    const steps: string[] = [];
    const r = await build({ contextDir: ctx, outputDir: out, tag: 'latest', now: () => NOW, onStep: (l) => steps.push(l) });
    // as the classic builder counts: the global ARG is step 1; each step ends with " ---> <image id>"
    expect(steps[0]).toBe('Step 1/11 : ARG BASE=scratch');
    expect(steps[1]).toBe('Step 2/11 : FROM ${BASE}');
    expect(steps.filter((l) => l.startsWith('Step ')).at(-1)).toBe('Step 11/11 : CMD ["httpd", "-f", "-h", "/usr/share/web"]');
    expect(steps.at(-1)).toBe(` ---> ${r.id.slice(7, 19)}`);
    expect(r.layers).toHaveLength(4); // WORKDIR mkdir (scratch), COPY, COPY, ADD

    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${out}:latest`], { encoding: 'utf8' }));
    expect(inspect.Labels).toEqual({ 'org.opencontainers.image.title': 'skiff test', maintainer: 'me' });
    expect(inspect.Env).toEqual(['WEB_ROOT=/usr/share/web', 'GREETING=hello world']);
    expect(inspect.Layers).toEqual(r.layers.map((l) => l.blob.digest));
    expect(inspect.Digest).toBe(r.manifestDigest);
    const cfg = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${out}:latest`], { encoding: 'utf8' }));
    expect(cfg.config.Cmd).toEqual(['httpd', '-f', '-h', '/usr/share/web']);
    expect(cfg.config.WorkingDir).toBe('/usr/share/web');
    expect(Object.keys(cfg.config.ExposedPorts).sort()).toEqual(['80/tcp', '8080/udp']);
    expect(cfg.rootfs.diff_ids).toHaveLength(4);
    expect(cfg.history.filter((h: { empty_layer?: boolean }) => !h.empty_layer)).toHaveLength(4);

    const bundle = join(base, 'bundle');
    execFileSync('umoci', ['unpack', '--image', `${out}:latest`, bundle], { stdio: 'pipe' });
    const rootfs = join(bundle, 'rootfs');
    const files: string[] = [];
    const walk = (d: string, rel: string) => {
      for (const n of readdirSync(d).sort()) {
        const r2 = rel ? `${rel}/${n}` : n;
        files.push(r2);
        if (lstatSync(join(d, n)).isDirectory()) walk(join(d, n), r2);
      }
    };
    walk(rootfs, '');
    expect(files).toEqual(['opt', 'opt/bin', 'opt/bin/app', 'usr', 'usr/share', 'usr/share/web', 'usr/share/web/css', 'usr/share/web/css/site.css', 'usr/share/web/index.html']);
    expect(readFileSync(join(rootfs, 'usr/share/web/index.html'), 'utf8')).toBe('<h1>hello</h1>\n');
    expect(readFileSync(join(rootfs, 'opt/bin/app'), 'utf8')).toBe('app\n');
    const css = lstatSync(join(rootfs, 'usr/share/web/css/site.css'));
    expect([css.uid, css.gid]).toEqual([101, 102]);
    expect(lstatSync(join(rootfs, 'usr/share/web/index.html')).uid).toBe(0);
    const runtime = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    expect(runtime.process.args).toEqual(['httpd', '-f', '-h', '/usr/share/web']);
    expect(runtime.process.cwd).toBe('/usr/share/web');
    expect(runtime.process.env).toEqual(expect.arrayContaining(['GREETING=hello world']));
  });

  it('is reproducible: same context and clock → same manifest digest', async () => {
    const a = await build({ contextDir: ctx, outputDir: join(base, 'r1'), now: () => NOW });
    const b = await build({ contextDir: ctx, outputDir: join(base, 'r2'), now: () => NOW });
    expect(a.manifestDigest).toBe(b.manifestDigest);
    expect(existsSync(join(base, 'r1/.staging'))).toBe(false);
  });

  it('--build-arg and --target; FROM an earlier stage keeps its layers', async () => {
    writeFileSync(join(ctx, 'Dockerfile.multi'), 'FROM scratch AS one\nCOPY index.html /a.html\nFROM one AS two\nARG MSG=default\nENV MSG=$MSG\nFROM scratch AS unused\nCOPY nope /x\n');
    const r = await build({ contextDir: ctx, dockerfile: join(ctx, 'Dockerfile.multi'), outputDir: join(base, 'multi'), target: 'two', buildArgs: { MSG: 'from-cli' } });
    expect(r.layers).toHaveLength(1);
    expect(r.config.config.Env).toEqual(['MSG=from-cli']);
    await expect(build({ contextDir: ctx, dockerfile: join(ctx, 'Dockerfile.multi'), outputDir: join(base, 'multi2'), target: 'three' })).rejects.toThrow(/failed to reach build target three in Dockerfile/);
  });

  it('RUN goes through the injected runStep; its upper dir becomes a layer', async () => {
    writeFileSync(join(ctx, 'Dockerfile.run'), 'FROM scratch\nENV A=1\nARG B=2\nWORKDIR /w\nRUN echo hi > /w/out\nCMD ["cat", "/w/out"]\n');
    const upper = join(base, 'fake-upper');
    mkdirSync(join(upper, 'w'), { recursive: true });
    writeFileSync(join(upper, 'w/out'), 'hi\n');
    const specs: RunStepSpec[] = [];
    const r = await build({
      contextDir: ctx, dockerfile: join(ctx, 'Dockerfile.run'), outputDir: join(base, 'run'),
      runStep: async (spec) => {
        specs.push(spec);
        return { upperDir: upper };
      },
    });
    expect(specs).toHaveLength(1);
    expect(specs[0]).toMatchObject({ argv: ['/bin/sh', '-c', 'echo hi > /w/out'], workdir: '/w', line: 5 });
    expect(specs[0]!.env.sort()).toEqual(['A=1', 'B=2']);
    expect(specs[0]!.layers).toHaveLength(1); // the WORKDIR layer
    expect(r.layers).toHaveLength(2);
    const list = execFileSync('tar', ['-tzf', r.layers[1]!.path], { encoding: 'utf8' });
    expect(list.split('\n').filter(Boolean)).toEqual(['w/', 'w/out']);
    expect(r.config.history!.find((h) => !h.empty_layer && h.created_by!.startsWith('RUN'))!.created_by).toBe('RUN ["/bin/sh","-c","echo hi > /w/out"]');
  });

  it('without a runStep, RUN is a clear error and nothing is left behind', async () => {
    const out = join(base, 'norun');
    await expect(build({ contextDir: ctx, dockerfile: join(ctx, 'Dockerfile.run'), outputDir: out })).rejects.toThrow(/Dockerfile:5: RUN needs the container launcher/);
    expect(existsSync(out)).toBe(false);
  });

  it('bad input leaves nothing half-made: missing COPY source, syntax error, URL in ADD, --from', async () => {
    const cases: [string, RegExp][] = [
      ['FROM scratch\nCOPY index.html /\nCOPY missing.txt /\n', /Dockerfile:3: COPY failed: file not found in build context or excluded by .dockerignore: missing.txt/],
      ['FROM scratch\nCOPY secret.txt /\n', /excluded by .dockerignore: secret.txt/],
      ['FROM scratch\nFORM x\n', /Dockerfile:2: unknown instruction: FORM/],
      ['FROM scratch\nADD https://example.com/x.tgz /\n', /skiff build works offline/],
      ['FROM scratch AS a\nFROM scratch\nCOPY --from=a /x /x\n', /COPY --from needs the image store/],
      ['FROM debian:12\n', /FROM debian:12: no image store/],
    ];
    for (const [i, [df, err]] of cases.entries()) {
      writeFileSync(join(ctx, `Dockerfile.bad${i}`), df);
      const out = join(base, `bad${i}`);
      await expect(build({ contextDir: ctx, dockerfile: join(ctx, `Dockerfile.bad${i}`), outputDir: out })).rejects.toThrow(err);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a failed build into an existing layout keeps its index', async () => {
    const out = join(base, 'keep');
    await build({ contextDir: ctx, outputDir: out, tag: 'v1', now: () => NOW });
    const index = readFileSync(join(out, 'index.json'), 'utf8');
    await expect(build({ contextDir: ctx, dockerfile: join(ctx, 'Dockerfile.bad0'), outputDir: out })).rejects.toThrow();
    expect(readFileSync(join(out, 'index.json'), 'utf8')).toBe(index);
    expect(existsSync(join(out, '.staging'))).toBe(false);
  });
});
