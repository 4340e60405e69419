// P4: memory per idle authenticated connection, after GC, on a fresh server: open a few connections
// (so the connection path's code and caches are warm), read memory, open N more, read again. The
// figure compared is heap in use + external: RSS is reported too, but on Parley it follows what
// came before (registering the users commits heap pages that GC empties and connections refill).
import { idleEndpoints } from './accounts';
import { sleep } from './concurrency';
import { holdIdleConnections } from './idle-connections';
import type { Progress } from './progress';
import type { MemoryRun } from './result';
import type { MemoryAfterGc } from './memory-probe';
import { memoryAfterGc, type BenchServer } from './servers';
import type { Transport } from './wire-client';

export interface MemorySpec {
  id: string;
  label: string;
  server: BenchServer;
  system: 'parley' | 'relay';
  transport: Transport;
  connections: number;
}

/** What the JS engine holds: the heap in use, and memory outside it that JS objects own (Buffers). */
const js = (m: MemoryAfterGc): number => m.heapUsed + m.external;

export async function measureIdleMemory(spec: MemorySpec, progress: Progress): Promise<MemoryRun> {
  const warmCount = Math.max(10, Math.round(spec.connections / 100));
  const endpoints = await idleEndpoints(
    spec.server,
    spec.system,
    warmCount + spec.connections,
    progress,
  );
  const proc = spec.server.processes[0]!;
  const warm = await holdIdleConnections(endpoints.slice(0, warmCount), spec.transport, progress);
  try {
    await sleep(500);
    const before = await memoryAfterGc(proc);
    const idle = await holdIdleConnections(endpoints.slice(warmCount), spec.transport, progress);
    try {
      // Let per-connection work that follows the greeting (presence, cursors) finish.
      await sleep(1000);
      const after = await memoryAfterGc(proc);
      const per = (a: number, b: number): number => Math.round((a - b) / Math.max(1, idle.open));
      progress.line(
        `${idle.open} idle connections after GC: ${(per(js(after), js(before)) / 1024).toFixed(1)} KiB of heap + external each, ${(per(after.rss, before.rss) / 1024).toFixed(1)} KiB RSS`,
      );
      return {
        id: spec.id,
        label: spec.label,
        server: spec.server.label,
        transport: spec.transport,
        connections: idle.open,
        failed: idle.failed,
        before,
        after,
        rssPerConnectionBytes: per(after.rss, before.rss),
        jsPerConnectionBytes: per(js(after), js(before)),
      };
    } finally {
      await idle.close();
    }
  } finally {
    await warm.close();
  }
}
