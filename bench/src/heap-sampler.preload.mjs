/**
 * Loaded into token-service by allocation.bench.mjs (`--import`) when it looks for
 * allocation sites: V8's sampling heap profiler, counting the objects that scavenges and
 * mark-compacts have already collected too (garbage is what a request leaves behind); with
 * BENCH_HEAP_SAMPLE_SURVIVORS=1 only the objects that outlived a scavenge.
 * Sampling runs while the file `<BENCH_HEAP_SAMPLE_FILE>.on` exists; when it is removed, the
 * profile is written to BENCH_HEAP_SAMPLE_FILE. (Not a signal: Nest's shutdown hooks stop
 * the service on SIGUSR2.) Bench only; never loaded in production.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

// allocation.bench.mjs sets it whenever it loads this file.
const file = /** @type {string} */ (process.env.BENCH_HEAP_SAMPLE_FILE);
const session = new Session();
session.connect();
let sampling = false;

setInterval(() => {
  const wanted = existsSync(`${file}.on`);
  if (wanted === sampling) return;
  sampling = wanted;
  if (wanted) {
    // BENCH_HEAP_SAMPLE_SURVIVORS=1: only what outlived a scavenge (the scavenges' copying work).
    const survivorsOnly = process.env.BENCH_HEAP_SAMPLE_SURVIVORS === '1';
    session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivorsOnly });
    return;
  }
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) process.stderr.write(`heap-sampler: ${error.message}\n`);
    else writeFileSync(file, JSON.stringify(result.profile));
  });
}, 50).unref();
