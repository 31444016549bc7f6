// `tag SOURCE TARGET`: one more name for an image (the CLI's `skiff tag` and the Engine API's tag).
import { SkiffError } from '../errors.js';
import { familiarString, parseReference } from './reference.js';
import { assignTag, requireImage, tagOf, withImageStore } from './store.js';
import { recordEvent } from '../state/events.js';

export async function tagImage(source: string, target: string): Promise<void> {
  const ref = parseReference(target);
  if (ref.digest) throw new SkiffError('EREFERENCE', `refusing to create a tag with a digest reference: ${target}`, 'tags are NAME[:TAG]');
  const id = requireImage(source).id;
  await withImageStore(() => assignTag(id, tagOf(ref)!));
  recordEvent('image', 'tag', id, { name: familiarString(ref) });
}
