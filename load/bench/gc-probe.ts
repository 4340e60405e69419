// Preloaded into every server process the bench starts (NODE_OPTIONS=--require): on SIGUSR2 it runs
// two full garbage collections and prints process.memoryUsage() as one JSON line, so "memory after
// GC" is taken the same way in Parley and in the baselines without changing either.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MEMORY_PROBE_MSG, type MemoryAfterGc } from './memory-probe';

setFlagsFromString('--expose-gc');
// A fresh context created after the flag is set sees the `gc` global; this one never will.
const collect = runInNewContext('gc') as () => void;

process.on('SIGUSR2', () => {
  collect();
  collect();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const reading: MemoryAfterGc = { rss, heapUsed, external, arrayBuffers };
  process.stdout.write(`${JSON.stringify({ msg: MEMORY_PROBE_MSG, ...reading })}\n`);
});
