// Docker's random container names: `adjective_surname` from moby's names-generator lists, as
// shipped by the `docker-names` package (a line-for-line copy of moby's lists). Like moby, a retry
// after a collision appends a digit, and `boring_wozniak` is never produced ("Steve Wozniak is not
// boring").
import dockerNames from 'docker-names';

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's rule for user-chosen names (leading slash allowed and dropped). */
export function isValidContainerName(name: string): boolean {
  return VALID_NAME.test(name);
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
