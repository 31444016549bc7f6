// Side by side with a real Docker: Debian's dockerd 20.10 driven by the docker 28 CLI, and skiff's own
// CLI on a store of its own, through the cases of test/helpers/side-by-side.ts. The cases that differ on
// purpose are listed in docs/docker-compatibility.md too.
import { sideBySide } from '../helpers/side-by-side.js';

sideBySide('side by side with Debian\'s dockerd: docker CLI → dockerd vs skiff', 'cli');
