// How to run skiff itself again (for the exit command skiff-runtime runs when a detached container
// ends): through the front door (native-bindings/client), so a container's cleanup is handed to the
// resident server's ready worker instead of paying a Node start — and still works without one.
import { nativeBinary } from '../native.js';

export function cliInvocation(): string[] {
  return [nativeBinary('skiff')];
}
