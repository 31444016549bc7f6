// /proc/self/mountinfo as skiff-oci reads it to find (and later detach) the mounts a container
// without a mount namespace made beneath its root: exact prefix matches only, escapes decoded.
import { describe, expect, it } from 'vitest';
import { mountsBeneath } from '../../src/kernel/mount-table.js';

const INFO = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '40 22 254:0 /b/rootfs /b/rootfs rw - ext4 /dev/vda rw',
  '41 40 0:50 / /b/rootfs/proc rw - proc proc rw',
  '42 22 0:51 / /b/rootfs2/proc rw - proc proc rw',
  '43 40 0:52 / /b/rootfs/with\\040space rw - tmpfs tmpfs rw',
  '',
].join('\n');

describe('mountsBeneath', () => {
  it('lists the root and what is beneath it, in the kernel\'s order, not a sibling sharing the prefix', () => {
    expect(mountsBeneath('/b/rootfs', INFO)).toEqual([
      { id: 40, mountPoint: '/b/rootfs' }, { id: 41, mountPoint: '/b/rootfs/proc' }, { id: 43, mountPoint: '/b/rootfs/with space' },
    ]);
    expect(mountsBeneath('/b/none', INFO)).toEqual([]);
  });
});
