// Runs inside the VM (see scripts/test-vm.mjs): the bundled node:test files given on the command
// line, one line per test on the serial console, then the one line the host parses:
//   SKIFF-VM-RESULT {"passed":N,"failed":N}
import { run } from 'node:test';

const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
const stream = run({ files, concurrency: 1, timeout: 300_000 });
stream.on('test:pass', (d) => {
  if (d.details?.type === 'suite') return;
  passed++;
  console.log(`ok   ${d.name} (${Math.round(d.details?.duration_ms ?? 0)} ms)`);
});
stream.on('test:fail', (d) => {
  if (d.details?.type === 'suite') return;
  failed++;
  const err = d.details?.error;
  console.log(`FAIL ${d.name}: ${String(err?.cause?.message ?? err?.message ?? err).split('\n').slice(0, 6).join(' / ')}`);
});
stream.on('test:diagnostic', (d) => {
  if (/^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(d.message)) return;
  console.log(`#    ${d.message}`);
});
stream.on('test:stdout', (d) => process.stdout.write(`     ${d.message}`));
stream.on('test:stderr', (d) => process.stdout.write(`     ${d.message}`));
stream.on('data', () => {});
stream.on('end', () => {
  // A file that fails to load reports no tests: count it, never pass silently.
  if (passed + failed === 0) failed = 1;
  console.log(`SKIFF-VM-RESULT ${JSON.stringify({ passed, failed })}`);
});
