// MemoryEventBus (embedded mode): a handler that fails is run again with backoff — for as long
// as the failure is an outage (UnavailableError), and up to maxAttempts for any other error — so
// a store outage during fan-out delays an event instead of dropping it.
import pino from 'pino';
import { MemoryEventBus } from '../../src/adapters/bus/memory-event-bus';
import { UnavailableError } from '../../src/domain/errors';
import type { BusEvent } from '../../src/protocol/events';

const logger = pino({ level: 'silent' });
afterEach(() => jest.restoreAllMocks());

const sent = (id: string): BusEvent => ({
  key: 'message.sent',
  payload: {
    message_id: id,
    conversation_id: 'c1',
    seq: 1,
    sender_id: 'u1',
    temp_id: null,
    socket_id: null,
    timestamp: new Date(0).toISOString(),
  },
});

/** A handler failing its first `failures` runs with `error()`, recording every run. */
function flakyHandler(failures: number, error: () => Error) {
  const runs: string[] = [];
  let succeeded: (id: string) => void = () => undefined;
  const success = new Promise<string>((resolve) => (succeeded = resolve));
  const handler = (event: BusEvent): Promise<void> => {
    const id = event.key === 'message.sent' ? event.payload.message_id : event.key;
    runs.push(id);
    if (runs.length <= failures) return Promise.reject(error());
    succeeded(id);
    return Promise.resolve();
  };
  return { runs, success, handler };
}

it('runs a handler that fails on an outage again until it succeeds, past maxAttempts', async () => {
  const bus = new MemoryEventBus(logger, { maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 5 });
  const flaky = flakyHandler(6, () => new UnavailableError('store'));
  await bus.subscribe(flaky.handler);
  await bus.publish(sent('m1'));
  await expect(flaky.success).resolves.toBe('m1');
  expect(flaky.runs).toEqual(Array(7).fill('m1'));
  await bus.close();
});

it('drops an event whose handler keeps failing for another reason after maxAttempts runs', async () => {
  const bus = new MemoryEventBus(logger, { maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 5 });
  const flaky = flakyHandler(Infinity, () => new Error('bug'));
  const dropped = new Promise<void>((resolve) => {
    jest.spyOn(logger, 'error').mockImplementation(() => resolve());
  });
  await bus.subscribe(flaky.handler);
  await bus.publish(sent('m2'));
  await dropped;
  await bus.close();
  expect(flaky.runs).toEqual(['m2', 'm2', 'm2']);
});

it('stops retrying on close without waiting for the backoff', async () => {
  const bus = new MemoryEventBus(logger, { retryBaseMs: 60_000 });
  const flaky = flakyHandler(Infinity, () => new UnavailableError('store'));
  const firstRun = new Promise<void>((resolve) => {
    jest.spyOn(logger, 'warn').mockImplementation(() => resolve());
  });
  await bus.subscribe(flaky.handler);
  await bus.publish(sent('m3'));
  await firstRun;
  await bus.close();
  expect(flaky.runs).toEqual(['m3']);
});

it('gives every subscriber each event and retries a failing one alone', async () => {
  const bus = new MemoryEventBus(logger, { maxAttempts: 5, retryBaseMs: 1, retryMaxMs: 5 });
  const steady = flakyHandler(0, () => new Error('never'));
  const flaky = flakyHandler(2, () => new Error('receiver down'));
  await bus.subscribe(steady.handler);
  await bus.subscribe(flaky.handler);
  await bus.publish(sent('m4'));
  await expect(flaky.success).resolves.toBe('m4');
  await expect(steady.success).resolves.toBe('m4');
  await bus.close();
  expect(steady.runs).toEqual(['m4']);
  expect(flaky.runs).toEqual(['m4', 'm4', 'm4']);
});
