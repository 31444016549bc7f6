// `-p 80:80` without root: the host refuses ports below net.ipv4.ip_unprivileged_port_start.
import type { Check } from '../types.js';

const FILE = '/proc/sys/net/ipv4/ip_unprivileged_port_start';

export const lowPortsCheck: Check = {
  id: 'low-ports',
  title: 'rootless ports < 1024',
  neededFor: [],
  run(probe) {
    if (probe.mode() === 'rootful') return { status: 'ok', detail: 'root may bind any port' };
    const start = Number(probe.readFile(FILE)?.trim() ?? '1024');
    if (start <= 80) return { status: 'ok', detail: `unprivileged ports start at ${start}` };
    return { status: 'warn', detail: `ports below ${start} need root (-p 80:80 fails; -p 8088:80 works)`, fix: "sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80 (persist in /etc/sysctl.d/90-skiff.conf)" };
  },
};
