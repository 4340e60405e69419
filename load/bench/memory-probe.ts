// The line a server process prints when the bench asks for its memory after GC (see gc-probe.ts),
// shared by the probe that writes it and the bench that reads it.

/** The `msg` of the probe's JSON line. */
export const MEMORY_PROBE_MSG = 'bench memory after gc';

/** process.memoryUsage() of the server, in bytes, taken right after two full collections. */
export interface MemoryAfterGc {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The probe's reading when `line` is one, else null (any other log line). */
export function parseMemoryLine(line: string): MemoryAfterGc | null {
  if (!line.includes(MEMORY_PROBE_MSG)) return null;
  try {
    const parsed = JSON.parse(line) as Partial<MemoryAfterGc> & { msg?: string };
    if (parsed.msg !== MEMORY_PROBE_MSG || typeof parsed.rss !== 'number') return null;
    return {
      rss: parsed.rss,
      heapUsed: parsed.heapUsed ?? 0,
      external: parsed.external ?? 0,
      arrayBuffers: parsed.arrayBuffers ?? 0,
    };
  } catch {
    return null;
  }
}
