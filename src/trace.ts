// --trace: a student's view of what the engine does under the hood. Every host-side primitive
// (syscall, netlink request, nft rule, cgroup write, helper program) and every step of a launch plan
// is printed here, on stderr, with a short "why". Off by default and then it costs one branch.

export type TraceArea =
  | 'plan' // a step the native launcher executes in the container's process
  | 'kernel' // a host-side syscall through ffi-rs
  | 'netlink' // a netlink request
  | 'nft' // an nftables rule
  | 'cgroup' // a cgroup file write
  | 'fs' // store/rootfs filesystem work (unpack, overlay dirs)
  | 'helper' // a host program skiff runs (newuidmap, slirp4netns, …)
  | 'registry' // a registry HTTP request
  | 'engine'; // engine-level decisions

class Tracer {
  enabled = false;
  private readonly t0 = performance.now();
  private sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

  enable(sink?: (line: string) => void): void {
    this.enabled = true;
    if (sink) this.sink = sink;
  }

  disable(): void {
    this.enabled = false;
  }

  /** One primitive: what was done, and why (omit why for obvious ones). */
  step(area: TraceArea, what: string, why?: string): void {
    if (!this.enabled) return;
    const ms = (performance.now() - this.t0).toFixed(1).padStart(7);
    this.sink(`[trace ${ms}ms] ${area.padEnd(8)} ${what}${why ? `   — ${why}` : ''}`);
  }

  kernel(what: string, result: string): void {
    this.step('kernel', `${what} → ${result}`);
  }
}

export const trace = new Tracer();
