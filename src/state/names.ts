// Docker's random container names: `adjective_surname` from moby's names-generator lists, as
// shipped by the `docker-names` package (a line-for-line copy of moby's lists). Like moby, a retry
// after a collision appends a digit, and `boring_wozniak` is never produced ("Steve Wozniak is not
// boring").
import dockerNames from 'docker-names';

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** A name is a file in container-names/ (NAME_MAX 255) and a host name on user networks (DNS: 253). */
export const MAX_NAME_LENGTH = 253;

/** Docker's rule for user-chosen names (leading slash allowed and dropped), plus a length limit. */
export function isValidContainerName(name: string): boolean {
  return VALID_NAME.test(name) && name.replace(/^\//, '').length <= MAX_NAME_LENGTH;
}

/** What is wrong with a user-chosen name, in one line (control characters escaped), or undefined. */
export function containerNameProblem(name: string): string | undefined {
  if (isValidContainerName(name)) return undefined;
  const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name).slice(1, -1);
  if (VALID_NAME.test(name)) return `Invalid container name (${shown}), at most ${MAX_NAME_LENGTH} characters are allowed`;
  return `Invalid container name (${shown}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`;
}

/** A random name; `retry` > 0 appends one random digit, as moby's GetRandomName(retry) does. */
export function randomContainerName(retry = 0): string {
  for (;;) {
    const name = dockerNames.getRandomName(false);
    if (name === 'boring_wozniak') continue;
    return retry > 0 ? `${name}${Math.floor(Math.random() * 10)}` : name;
  }
}

export const NAME_ADJECTIVES: readonly string[] = dockerNames.adjectives;
export const NAME_SURNAMES: readonly string[] = dockerNames.surnames;
