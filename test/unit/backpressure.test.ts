// Backpressure on a fake clock: a send passes at once while delivery keeps up, waits while the
// backlog is at its bound (first come, first served), and is refused UNAVAILABLE (with a retry
// hint) once it waited too long.
import pino from 'pino';
import { Backpressure } from '../../src/app/backpressure';
import { toWireError } from '../../src/app/wire-error';
import { LoadShedError, UnavailableError } from '../../src/domain/errors';
import type { Logger } from '../../src/observability/logger';
import { bulkReport } from '../../src/observability/bulk-report';

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

/** A gate whose backlog reads `backlogs` one per look (the last one for ever after). */
function gate(backlogs: number[], maxWaitMs = 100, onRefused?: () => void) {
  let reads = 0;
  const start = Date.now();
  const pressure = new Backpressure({
    ...(onRefused ? { onRefused } : {}),
    backlog: () => backlogs[Math.min(reads++, backlogs.length - 1)] ?? 0,
    maxBacklog: 10,
    maxWaitMs,
    recheckMs: 20,
  });
  return { pressure, waited: () => Date.now() - start };
}

/** What each of `sends` came to, and when, once the fake clock has run `ms`. */
async function outcomes(sends: Promise<void>[], ms: number): Promise<string[]> {
  const seen = sends.map(() => 'waiting');
  const start = Date.now();
  sends.forEach((send, i) => {
    send.then(
      () => (seen[i] = `admitted at ${Date.now() - start}`),
      (err: unknown) =>
        (seen[i] =
          `refused at ${Date.now() - start}: ${err instanceof Error ? err.constructor.name : String(err)}`),
    );
  });
  await jest.advanceTimersByTimeAsync(ms);
  return seen;
}

it('passes at once below the bound', async () => {
  const g = gate([9]);
  await g.pressure.admit();
  expect(g.waited()).toBe(0);
});

it('waits while the backlog is at the bound, and passes once it comes down', async () => {
  const g = gate([10, 12, 11, 3]);
  expect(await outcomes([g.pressure.admit()], 100)).toEqual(['admitted at 60']);
});

it('refuses UNAVAILABLE with a retry hint once it has waited maxWaitMs', async () => {
  const g = gate([50], 100);
  const refusal = g.pressure.admit();
  const settled = expect(refusal).rejects.toMatchObject({
    code: 'UNAVAILABLE',
    retryAfterMs: 1000,
  });
  await jest.advanceTimersByTimeAsync(100);
  await settled;
  await expect(refusal).rejects.toBeInstanceOf(UnavailableError);
  expect(g.waited()).toBe(100);
});

it('lets waiting sends through first come, first served, newcomers behind them, as room allows', async () => {
  // Looks: the first send's (at the bound), then one per recheck.
  const g = gate([10, 10, 9, 8, 0]);
  const first = g.pressure.admit();
  const second = g.pressure.admit();
  // Below the bound now, but two are waiting: it queues behind them.
  const third = g.pressure.admit();
  // 20 ms: still at the bound; 40 ms: room for one; 60 ms: two more fit.
  expect(await outcomes([first, second, third], 100)).toEqual([
    'admitted at 40',
    'admitted at 60',
    'admitted at 60',
  ]);
});

it('refuses the sends that waited too long, oldest first, and keeps the rest waiting', async () => {
  let refused = 0;
  const g = gate([50], 100, () => refused++);
  const early = g.pressure.admit();
  await jest.advanceTimersByTimeAsync(50);
  const late = g.pressure.admit();
  // From 50 ms on: the early one's deadline is at 100 ms, the late one's at 150 ms, and they are
  // looked at every 20 ms (at 100 ms, then at 160 ms).
  const seen = await outcomes([early, late], 60);
  expect(seen).toEqual(['refused at 50: LoadShedError', 'waiting']);
  expect(refused).toBe(1);
  expect(await outcomes([late], 60)).toEqual(['refused at 50: LoadShedError']);
  expect(refused).toBe(2);
});

/** A real logger whose lines are kept: [fields, message] of each, in order. */
function recordingLogger(): { logger: Logger; warned: unknown[][] } {
  const warned: unknown[][] = [];
  const logger = pino(
    { level: 'warn', base: null, timestamp: false },
    {
      write: (line: string) => {
        const { msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
        delete fields.level;
        warned.push([fields, msg]);
      },
    },
  );
  return { logger, warned };
}

it('sheds load without a stack, reported in bulk rather than logged one by one', async () => {
  let refused = 0;
  const g = gate([50], 100, () => refused++);
  const refusal = g.pressure.admit().catch((e: unknown) => e);
  await jest.advanceTimersByTimeAsync(100);
  const err: unknown = await refusal;
  expect(err).toBeInstanceOf(LoadShedError);
  expect(refused).toBe(1);
  // No frames: the stack is the message line alone.
  expect((err as Error).stack?.split('\n')).toHaveLength(1);
  const { logger, warned } = recordingLogger();
  expect(toWireError(err, logger)).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 1000 });
  expect(warned).toEqual([]);
  // A dependency that really is down is still logged, with its stack.
  toWireError(new UnavailableError('the database'), logger);
  expect(warned).toHaveLength(1);
});

it('reports counted events once per interval, with how many there were', () => {
  {
    const { logger, warned } = recordingLogger();
    const report = bulkReport(logger, 'sends refused', 1000);
    for (let i = 0; i < 5; i++) report.count();
    expect(warned).toEqual([]);
    jest.advanceTimersByTime(1000);
    expect(warned).toEqual([[{ count: 5, seconds: 1 }, 'sends refused']]);
    jest.advanceTimersByTime(5000);
    expect(warned).toHaveLength(1);
    report.count();
    jest.advanceTimersByTime(1000);
    expect(warned.at(-1)).toEqual([{ count: 1, seconds: 1 }, 'sends refused']);
  }
});
