import { describe, expect, it } from 'vitest';
import { ago, humanDuration, parseGoDuration, parseTimeArg } from '../../src/format/duration.js';
import { statusText } from '../../src/state/status-text.js';
import { initialState, ZERO_TIME } from '../../src/state/container-record.js';

const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;

describe('humanDuration (go-units HumanDuration)', () => {
  // The table of go-units' own duration_test.go.
  it.each([
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * S, '1 second'],
    [2 * S, '2 seconds'],
    [59 * S, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [2 * M, '2 minutes'],
    [59 * M, '59 minutes'],
    [60 * M, 'About an hour'],
    [89 * M, 'About an hour'],
    [90 * M, '2 hours'],
    [3 * H, '3 hours'],
    [47 * H, '47 hours'],
    [48 * H, '2 days'],
    [13 * D, '13 days'],
    [14 * D, '2 weeks'],
    [3 * 7 * D, '3 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [4 * 30 * D, '4 months'],
    [365 * 2 * D, '2 years'],
    [365 * 3 * D, '3 years'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('status and created phrases', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('Created, Up, Exited, Paused, Dead, Removal', () => {
    const s = initialState();
    expect(statusText(s, now)).toBe('Created');
    expect(statusText({ ...s, Status: 'running', Running: true, StartedAt: '2026-11-25T11:57:00.123456789Z' }, now)).toBe('Up 2 minutes');
    expect(statusText({ ...s, Status: 'running', Running: true, StartedAt: '2026-11-25T11:59:59.900Z' }, now)).toBe('Up Less than a second');
    expect(statusText({ ...s, Status: 'exited', ExitCode: 0, StartedAt: '2026-11-25T11:00:00Z', FinishedAt: '2026-11-25T11:59:55Z' }, now)).toBe('Exited (0) 5 seconds ago');
    expect(statusText({ ...s, Status: 'exited', ExitCode: 127, StartedAt: '2026-11-25T11:00:00Z', FinishedAt: '2026-11-25T11:57:00Z' }, now)).toBe('Exited (127) 3 minutes ago');
    expect(statusText({ ...s, Status: 'paused', Running: true, StartedAt: '2026-11-25T09:00:00Z' }, now)).toBe('Up 3 hours (Paused)');
    expect(statusText({ ...s, Status: 'dead' }, now)).toBe('Dead');
    expect(statusText({ ...s, Status: 'removing' }, now)).toBe('Removal In Progress');
    expect(statusText({ ...s, Status: 'exited', StartedAt: '2026-11-25T11:00:00Z', FinishedAt: ZERO_TIME }, now)).toBe('');
  });
  it('CREATED column', () => {
    expect(ago('2026-11-25T11:59:57Z', now)).toBe('3 seconds ago');
    expect(ago('2026-11-25T11:41:00Z', now)).toBe('19 minutes ago');
  });
});

describe('time arguments (--since/--until)', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('Go durations', () => {
    expect(parseGoDuration('10m')).toBe(600_000);
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseGoDuration('m')).toBeUndefined();
  });
  it('relative, RFC 3339 and Unix times', () => {
    expect(parseTimeArg('10m', now)).toBe(now - 600_000);
    expect(parseTimeArg('2026-11-25T11:00:00Z', now)).toBe(Date.parse('2026-11-25T11:00:00Z'));
    expect(parseTimeArg('2026-11-25T11:00:00.5+01:00', now)).toBe(Date.parse('2026-11-25T10:00:00.5Z'));
    expect(parseTimeArg('1795608000', now)).toBe(1795608000_000);
    expect(parseTimeArg('yesterday', now)).toBeUndefined();
  });
});
