// `skiff doctor`: checks the machine's prerequisites and says how to fix each one.
import type { Command } from 'commander';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine\'s prerequisites (user namespaces, subuids, overlay, cgroups, networking) and how to fix each')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { runDoctor, formatDoctor } = await import('../../doctor/run-doctor.js');
      const { hostProbe } = await import('../../doctor/host-probe.js');
      const report = runDoctor(hostProbe());
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctor(report));
      process.exitCode = report.ready ? 0 : 1;
    });
}
