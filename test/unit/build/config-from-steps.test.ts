// Docker's builder semantics for metadata instructions.
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../../src/image/build/dockerfile-parser.js';
import { StageState, durationNs } from '../../../src/image/build/config-from-steps.js';
import { scratchConfig, type ImageConfig } from '../../../src/image/build/oci-config.js';

const NOW = '2026-01-02T03:04:05Z';
function run(steps: string, base: ImageConfig = scratchConfig(), buildArgs: Record<string, string> = {}, globals: Record<string, string | undefined> = {}): StageState {
  const df = parseDockerfile(`FROM scratch\n${steps}\n`);
  const st = new StageState(base, new Map(Object.entries(buildArgs)), new Map(Object.entries(globals)), () => NOW);
  for (const ins of df.stages[0]!.steps) st.apply(ins);
  return st;
}

describe('StageState', () => {
  it('CMD/ENTRYPOINT shell form wrap in /bin/sh -c; exec form as is', () => {
    const c = run('CMD echo "hello $NAME"\nENTRYPOINT ["/bin/app", "--x"]').config.config;
    expect(c.Entrypoint).toEqual(['/bin/app', '--x']);
    expect(c.Cmd).toEqual(['/bin/sh', '-c', 'echo "hello $NAME"']); // CMD set in this stage survives ENTRYPOINT
  });
  it('SHELL changes later shell forms', () => {
    expect(run('SHELL ["/bin/bash", "-euo", "pipefail", "-c"]\nCMD ls | wc').config.config.Cmd).toEqual(['/bin/bash', '-euo', 'pipefail', '-c', 'ls | wc']);
  });
  it('ENTRYPOINT resets a CMD inherited from the base image', () => {
    const base = scratchConfig();
    base.config.Cmd = ['bash'];
    expect(run('ENTRYPOINT ["nginx"]', base).config.config.Cmd).toBeNull();
  });
  it('ENV: expansion sees values from before the line; replaces in place', () => {
    const base = scratchConfig();
    base.config.Env = ['PATH=/usr/bin', 'A=old'];
    const st = run('ENV A=new B=$A\nENV PATH=/opt/bin:$PATH C="x y" D=\'$A\'', base);
    expect(st.config.config.Env).toEqual(['PATH=/opt/bin:/usr/bin', 'A=new', 'B=old', 'C=x y', 'D=$A']);
  });
  it('ENV legacy form', () => {
    expect(run('ENV GREETING hello world').config.config.Env).toEqual(['GREETING=hello world']);
  });
  it('ARG: build-arg beats default; ENV beats ARG; global ARG re-declared without value', () => {
    const st = run('ARG V=1\nARG W\nARG G\nENV X=$V-$W-$G\nENV V=env\nLABEL v=$V', scratchConfig(), { W: 'cli' }, { G: 'global' });
    expect(st.config.config.Env).toEqual(['X=1-cli-global', 'V=env']);
    expect(st.config.config.Labels).toEqual({ v: 'env' });
  });
  it('ARG without value and no build-arg is unset: ${A:-d} takes the default', () => {
    expect(run('ARG A\nENV B=${A:-d}').config.config.Env).toEqual(['B=d']);
  });
  it('WORKDIR is relative to the previous one and expands ENV', () => {
    expect(run('WORKDIR /a\nWORKDIR b\nENV D=c\nWORKDIR $D/..//e').workdir()).toBe('/a/b/e');
  });
  it('EXPOSE: default tcp, lower-case protocol, ranges, from variables', () => {
    const ports = run('ARG P=9000\nEXPOSE 80 53/UDP 8000-8002 ${P}/tcp').config.config.ExposedPorts;
    expect(Object.keys(ports!).sort()).toEqual(['53/udp', '80/tcp', '8000/tcp', '8001/tcp', '8002/tcp', '9000/tcp']);
    expect(() => run('EXPOSE 80/icmp')).toThrow(/Dockerfile:2: invalid containerPort: 80\/icmp/);
    expect(() => run('EXPOSE 70000')).toThrow(/invalid containerPort/);
  });
  it('LABEL: quoted keys/values, later wins, base labels kept', () => {
    const base = scratchConfig();
    base.config.Labels = { keep: '1', over: 'a' };
    expect(run('LABEL "com.x.name"="my app" over=b\nLABEL multi="line \\"q\\""', base).config.config.Labels).toEqual({ keep: '1', over: 'b', 'com.x.name': 'my app', multi: 'line "q"' });
  });
  it('USER, VOLUME, STOPSIGNAL, MAINTAINER', () => {
    const st = run('ENV U=app\nUSER $U:1000\nVOLUME ["/data", "/logs"]\nVOLUME /x\nSTOPSIGNAL SIGQUIT\nMAINTAINER Ann');
    expect(st.config.config.User).toBe('app:1000');
    expect(Object.keys(st.config.config.Volumes!)).toEqual(['/data', '/logs', '/x']);
    expect(st.config.config.StopSignal).toBe('SIGQUIT');
    expect(st.config.author).toBe('Ann');
    expect(() => run('STOPSIGNAL SIGNOPE')).toThrow(/invalid signal: SIGNOPE/);
    expect(run('STOPSIGNAL 9').config.config.StopSignal).toBe('9');
  });
  it('HEALTHCHECK durations in nanoseconds', () => {
    const h = run('HEALTHCHECK --interval=1m30s --timeout=500ms --retries=2 CMD wget -q localhost').config.config.Healthcheck;
    expect(h).toEqual({ Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 90e9, Timeout: 5e8, Retries: 2 });
    expect(durationNs('1h')).toBe(3600e9);
  });
  it('history: one empty_layer entry per metadata instruction, ARG too (the classic builder commits it)', () => {
    const st = run('ARG A=1\nENV A=2\nCMD ["x"]');
    expect(st.config.history).toEqual([
      { created: NOW, created_by: 'ARG A=1', comment: 'skiff build', empty_layer: true },
      { created: NOW, created_by: 'ENV A=2', comment: 'skiff build', empty_layer: true },
      { created: NOW, created_by: 'CMD ["x"]', comment: 'skiff build', empty_layer: true },
    ]);
  });
  it('ONBUILD stores its trigger as written in OnBuild', () => {
    const st = run('ONBUILD COPY . /app\nONBUILD RUN make');
    expect(st.config.config.OnBuild).toEqual(['COPY . /app', 'RUN make']);
  });
  it('addLayer records the diff id and a non-empty history entry', () => {
    const st = run('');
    st.addLayer('sha256:abc', 'COPY a /b');
    expect(st.config.rootfs.diff_ids).toEqual(['sha256:abc']);
    expect(st.config.history!.at(-1)).toEqual({ created: NOW, created_by: 'COPY a /b', comment: 'skiff build' });
  });
  it('does not mutate the base config', () => {
    const base = scratchConfig();
    run('ENV A=1', base);
    expect(base.config.Env).toBeUndefined();
  });
  it('RUN/COPY are not metadata', () => {
    const df = parseDockerfile('FROM scratch\nRUN x\nCOPY a b\n');
    const st = new StageState(scratchConfig(), new Map(), new Map());
    expect(df.stages[0]!.steps.map((i) => st.apply(i))).toEqual([false, false]);
  });
});
