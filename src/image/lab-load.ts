// `skiff lab load`: every image of the lab mirror into the store, through the verified pull path.
// Idempotent: an image already present with its tag is reported and left alone.
import { SkiffError } from '../errors.js';
import { labDir, labImages, labSource } from './lab.js';
import { defaultPlatform } from './manifest.js';
import { familiarString, parseReference } from './reference.js';
import { pullFromSource } from './pull.js';

export async function loadLabImages(): Promise<string[]> {
  const names = labImages();
  if (names.length === 0) throw new SkiffError('ENOIMAGE', `no lab images found under ${labDir()}`, 'build them with `npm run lab:build`');
  const lines: string[] = [];
  const quiet = { line() {}, layer() {}, done() {} };
  for (const n of names) {
    const ref = parseReference(n);
    const src = labSource(ref);
    if (!src) continue;
    const r = await pullFromSource(ref, src, defaultPlatform(), quiet);
    lines.push(`${r.downloaded ? 'Loaded image' : 'Image is up to date'}: ${familiarString(ref)}`);
  }
  return lines;
}
