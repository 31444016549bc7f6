// Child process for unprivileged unpack tests: unpackLayer(argv[2] blob, argv[3] media type, argv[4] dest),
// prints the result as JSON, or {"error": code} when refused.
import { unpackLayer } from '../../src/layers/unpack.js';

try {
  const r = await unpackLayer(process.argv[2]!, process.argv[3]!, process.argv[4]!);
  process.stdout.write(JSON.stringify(r) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ error: (e as { code?: string }).code ?? String(e) }) + '\n');
}
