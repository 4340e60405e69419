// The fuzz suite's runner: one seed for the whole run (FUZZ_SEED, or a fixed default), one
// fast-check property per family, counts per surface, and a failure report that names the seed,
// the replay path and a readable counterexample. Also watches the real process for crashes.
import { runInThisContext } from 'node:vm';
import fc from 'fast-check';

/** The default seed: a run without FUZZ_SEED is the same run every time. */
const DEFAULT_SEED = 20260106;

export const baseSeed = ((): number => {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${raw}`);
  return seed;
})();

/** Each property gets its own seed derived from the run's, so adding one reshuffles no other. */
export function seedFor(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (baseSeed ^ h) | 0;
}

export type Surface = 'rest' | 'raw-ws' | 'socket.io';

export class FuzzCounts {
  readonly bySurface: Record<Surface, number> = { rest: 0, 'raw-ws': 0, 'socket.io': 0 };
  readonly byFamily = new Map<string, number>();

  add(surface: Surface, family: string): void {
    this.bySurface[surface]++;
    // Grouped by the family's kind (`body:…`, `query:…`, `schema:…`), to keep the report short.
    const key = `${surface} ${family.replace(/:.*$/, '')}`;
    this.byFamily.set(key, (this.byFamily.get(key) ?? 0) + 1);
  }

  get total(): number {
    return Object.values(this.bySurface).reduce((a, b) => a + b, 0);
  }

  report(): string {
    const families = [...this.byFamily.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `  ${k}: ${n}`)
      .join('\n');
    const surfaces = Object.entries(this.bySurface)
      .map(([k, n]) => `${k}=${n}`)
      .join(' ');
    return `fuzz seed ${baseSeed}: ${this.total} bad inputs (${surfaces})\n${families}`;
  }
}

/** JSON of a counterexample, with long strings and buffers cut so the report stays readable. */
export function describeValue(value: unknown, max = 3000): string {
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'string' && v.length > 200) return `${v.slice(0, 120)}…(${v.length} chars)`;
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
      const data = (v as { data: number[] }).data;
      const shown = Buffer.from(data.slice(0, 120)).toString('utf8');
      return `<${data.length} bytes: ${JSON.stringify(shown)}${data.length > 120 ? '…' : ''}>`;
    }
    return v;
  });
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export interface FuzzOptions {
  numRuns: number;
  /** Whole-property bound, shrinking included, so a failure cannot stall the suite. */
  timeLimitMs?: number;
}

/** Runs one property; throws a report naming the seed and the (shrunk) counterexample. */
export async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  options: FuzzOptions,
  check: (input: T) => Promise<void>,
): Promise<void> {
  const seed = seedFor(name);
  const details = await fc.check(fc.asyncProperty(arb, check), {
    seed,
    numRuns: options.numRuns,
    interruptAfterTimeLimit: options.timeLimitMs ?? 45_000,
    markInterruptAsFailure: true,
  });
  if (!details.failed) return;
  const counterexample = details.counterexample
    ? describeValue(details.counterexample[0])
    : '(none)';
  const cause =
    details.errorInstance instanceof Error
      ? details.errorInstance.message
      : String(details.errorInstance);
  throw new Error(
    [
      `fuzz property "${name}" failed after ${details.numRuns} runs` +
        (details.interrupted ? ' (interrupted by its time limit)' : ''),
      `  replay: FUZZ_SEED=${baseSeed} (property seed ${seed}, path "${details.counterexamplePath ?? ''}")`,
      `  counterexample: ${counterexample}`,
      `  error: ${cause.slice(0, 4000)}`,
    ].join('\n'),
  );
}

/**
 * Records every uncaughtException and unhandledRejection of the real process (jest hands tests
 * a copy of `process`; the node under test runs on the real one).
 */
export function watchProcess(): { errors: unknown[]; stop(): void } {
  const real = runInThisContext('process') as NodeJS.Process;
  const errors: unknown[] = [];
  const onError = (err: unknown): void => {
    errors.push(err);
  };
  real.on('uncaughtException', onError);
  real.on('unhandledRejection', onError);
  return {
    errors,
    stop: () => {
      real.off('uncaughtException', onError);
      real.off('unhandledRejection', onError);
    },
  };
}
