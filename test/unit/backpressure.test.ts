// Backpressure on a fake clock: a send passes at once while delivery keeps up, waits while the
// backlog is at its bound, and is refused UNAVAILABLE (with a retry hint) once it waited too long.
import { Backpressure } from '../../src/app/backpressure';
import { UnavailableError } from '../../src/domain/errors';

function gate(backlogs: number[], maxWaitMs = 100) {
  let now = 0;
  let reads = 0;
  const pressure = new Backpressure({
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
