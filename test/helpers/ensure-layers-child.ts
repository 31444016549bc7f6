// Child process for the layer-store tests: runs ensureLayers on the layers given as JSON in argv[2]
// (store from SKIFF_ROOT) and prints how many layers THIS process unpacked, as JSON on stdout.
import { ensureLayers, type LayerRef } from '../../src/layers/layer-store.js';
import { trace } from '../../src/trace.js';

let unpacked = 0;
trace.enable((line) => {
  if (/ fs +unpack /.test(line)) unpacked++;
});
const layers = JSON.parse(process.argv[2]!) as LayerRef[];
const r = await ensureLayers(layers);
process.stdout.write(JSON.stringify({ unpacked, dirs: r.dirs }) + '\n');
