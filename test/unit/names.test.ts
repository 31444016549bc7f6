import { afterEach, describe, expect, it, vi } from 'vitest';
import { isValidContainerName, NAME_ADJECTIVES, NAME_SURNAMES, randomContainerName } from '../../src/state/names.js';

describe('random container names (moby names-generator lists)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are adjective_surname from the lists', () => {
    for (let i = 0; i < 200; i++) {
      const name = randomContainerName();
      const [adj, sur, extra] = name.split('_');
      expect(extra).toBeUndefined();
      expect(NAME_ADJECTIVES).toContain(adj);
      expect(NAME_SURNAMES).toContain(sur);
      expect(isValidContainerName(name)).toBe(true);
    }
  });

  it('carry the chapter\'s examples and moby\'s list sizes', () => {
    for (const adj of ['quirky', 'nice', 'hardcore']) expect(NAME_ADJECTIVES).toContain(adj);
    for (const sur of ['hugle', 'lichterman', 'haslett']) expect(NAME_SURNAMES).toContain(sur);
    expect(NAME_ADJECTIVES.length).toBeGreaterThan(100);
    expect(NAME_SURNAMES.length).toBeGreaterThan(200);
  });

  it('never produce boring_wozniak', () => {
    const boring = NAME_ADJECTIVES.indexOf('boring') / NAME_ADJECTIVES.length;
    const wozniak = NAME_SURNAMES.indexOf('wozniak') / NAME_SURNAMES.length;
    // The first draw lands exactly on boring_wozniak; the generator must draw again.
    const draws = [boring + 1e-9, wozniak + 1e-9, 0, 0];
    vi.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0);
    expect(randomContainerName()).toBe(`${NAME_ADJECTIVES[0]}_${NAME_SURNAMES[0]}`);
  });

  it('append one digit on retries, as GetRandomName(retry) does', () => {
    for (let i = 0; i < 50; i++) expect(randomContainerName(1)).toMatch(/^[a-z]+_[a-z]+[0-9]$/);
  });

  it('validate user names like Docker', () => {
    expect(isValidContainerName('web')).toBe(true);
    expect(isValidContainerName('/web-1.a_b')).toBe(true);
    expect(isValidContainerName('a')).toBe(false);
    expect(isValidContainerName('-x')).toBe(false);
    expect(isValidContainerName('../etc')).toBe(false);
    expect(isValidContainerName('a b')).toBe(false);
  });
});
