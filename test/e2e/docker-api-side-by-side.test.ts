// Side by side with a real Docker through the Engine API: the same docker 28 CLI drives Debian's dockerd
// 20.10 and `skiff system service`, through the cases of test/helpers/side-by-side.ts (the ones skiff's
// own CLI is compared on). What still differs, and why, is in each case's `api` and in docs/engine-api.md.
import { sideBySide } from '../helpers/side-by-side.js';

sideBySide('side by side with Debian\'s dockerd: docker CLI → dockerd vs docker CLI → skiff system service', 'api');
