// The native launcher executes each launch plan single-threaded (see DESIGN "Why a native launcher").
import type { Check } from '../types.js';

export const nativeLauncherCheck: Check = {
  id: 'native',
  title: 'native launcher',
  neededFor: ['rootful', 'rootless'],
  run(probe) {
    const path = probe.nativeRuntime();
    const st = probe.stat(path);
    if (!st || !st.isFile) return { status: 'fail', detail: `${path} is missing`, fix: 'npm run build:native (needs gcc, make, libc6-dev)' };
    if ((st.mode & 0o111) === 0) return { status: 'fail', detail: `${path} is not executable`, fix: 'npm run build:native' };
    return { status: 'ok', detail: path };
  },
};
