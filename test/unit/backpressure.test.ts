// Backpressure on a fake clock: a send passes at once while delivery keeps up, waits while the
// backlog is at its bound, and is refused UNAVAILABLE (with a retry hint) once it waited too long.
import pino from 'pino';
import { Backpressure } from '../../src/app/backpressure';
import { toWireError } from '../../src/app/wire-error';
import { LoadShedError, UnavailableError } from '../../src/domain/errors';
import type { Logger } from '../../src/observability/logger';
import { bulkReport } from '../../src/observability/bulk-report';

function gate(backlogs: number[], maxWaitMs = 100, onRefused?: () => void) {
  let now = 0;
  let reads = 0;
  const pressure = new Backpressure({
    ...(onRefused ? { onRefused } : {}),
    backlog: () => backlogs[Math.min(reads++, backlogs.length - 1)] ?? 0,
    maxBacklog: 10,
    maxWaitMs,
    recheckMs: 20,
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  });
  return { pressure, waited: () => now };
}

it('passes at once below the bound', async () => {
  const g = gate([9]);
  await g.pressure.admit();
  expect(g.waited()).toBe(0);
});

it('waits while the backlog is at the bound, and passes once it comes down', async () => {
  const g = gate([10, 12, 11, 3]);
  await g.pressure.admit();
  expect(g.waited()).toBe(40);
});

it('refuses UNAVAILABLE with a retry hint once it has waited maxWaitMs', async () => {
  const g = gate([50], 100);
  const refusal = g.pressure.admit();
  await expect(refusal).rejects.toBeInstanceOf(UnavailableError);
  await expect(refusal).rejects.toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 1000 });
  expect(g.waited()).toBe(100);
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
  const err: unknown = await g.pressure.admit().catch((e: unknown) => e);
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
  jest.useFakeTimers();
  try {
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
  } finally {
    jest.useRealTimers();
  }
});
