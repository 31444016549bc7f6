// cgroup v2 for skiff: the public surface the engine uses. One job per file:
//   detect.ts      where cgroup2 is, what it offers, where skiff may put its cgroups
//   limits.ts      Docker flags → numbers → cgroup file values (pure)
//   support.ts     can these limits be applied here? (the ECGROUP error and its fix)
//   setup.ts       create skiff's parent and the container's cgroup
//   resources.ts   write limits; `update` of a running container
//   stats.ts       one sample of the counters `docker stats` shows
//   stats-format.ts  the `docker stats` table
//   cleanup.ts     remove (killing leftovers), reconcile after a crash
//   doctor.ts      what is usable here and how to fix what is not
//   utils.ts       the traced door to cgroup files
export type { Limits } from './limits.js';
export { parseLimits } from './limits.js';
export { detectCgroups } from './detect.js';
export { createContainerCgroup } from './setup.js';
export { updateContainerCgroup } from './resources.js';
export { readCgroupStats, type CgroupStats } from './stats.js';
export { formatStatsRow, formatStatsTable, cpuPercent } from './stats-format.js';
export { removeContainerCgroup, reconcileCgroups } from './cleanup.js';
export { checkCgroups } from './doctor.js';
