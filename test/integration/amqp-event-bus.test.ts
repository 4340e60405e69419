// AmqpEventBus against a real RabbitMQ (own vhost): partitioned topology, single active consumer
// with takeover, confirms, acks, retries (transient ones outlast maxAttempts), DLQ, reconnects.
import { connect, type Channel, type ConsumeMessage } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { AmqpEventBus, type AmqpEventBusOptions } from '../../src/adapters/bus/amqp-event-bus';
import { consumerQueue, partitionOf } from '../../src/adapters/bus/amqp-topology';
import { UnavailableError } from '../../src/domain/errors';
import { createLogger } from '../../src/observability/logger';
import type { BusEvent } from '../../src/protocol/events';
import { createTestVhost, type TestVhost } from '../support/rabbit-vhost';
import { waitFor } from '../support/wait-for';

jest.setTimeout(20_000);

const PARTITIONS = 4;
const partitionQueues = Array.from({ length: PARTITIONS }, (_, k) => consumerQueue(k));
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'amqp-test');
let vhost: TestVhost;
const buses: AmqpEventBus[] = [];

beforeAll(async () => {
  vhost = await createTestVhost();
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
  // Every test opened a bus, so the queues exist; leave them empty for the next test.
  await inspect(async (ch) => {
    for (const queue of [...partitionQueues, 'message_consumer.retry', 'message_consumer.dlq']) {
      await ch.purgeQueue(queue);
    }
  });
});

afterAll(async () => {
  await vhost.drop();
});

async function openBus(options: Partial<AmqpEventBusOptions> = {}): Promise<AmqpEventBus> {
  const bus = await AmqpEventBus.connect({
    url: vhost.url,
    logger,
    retryBaseMs: 20,
    partitions: PARTITIONS,
    ...options,
  });
  buses.push(bus);
  return bus;
}

/** A fresh raw connection per look: a failed passive check closes its channel, and tests kill connections. */
async function inspect<T>(look: (ch: Channel) => Promise<T>): Promise<T> {
  const conn = await connect(vhost.url);
  try {
    return await look(await conn.createChannel());
  } finally {
    await conn.close();
  }
}

/** Ready messages per partition queue (unacked ones are not counted: close the bus first). */
const readyByPartition = (): Promise<number[]> =>
  inspect(async (ch) => {
    const counts: number[] = [];
    for (const q of partitionQueues) counts.push((await ch.checkQueue(q)).messageCount);
    return counts;
  });

/** Resolves with the first `n` dead letters, consumed as they arrive (no polling). */
async function takeDeadLetters(n: number): Promise<ConsumeMessage[]> {
  const conn = await connect(vhost.url);
  try {
    const ch = await conn.createChannel();
    return await new Promise<ConsumeMessage[]>((resolve, reject) => {
      const got: ConsumeMessage[] = [];
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${n} dead letters; got ${got.length}`));
      }, 10_000);
      void ch.consume(
        'message_consumer.dlq',
        (m) => {
          if (!m) return;
          got.push(m);
          if (got.length === n) {
            clearTimeout(timer);
            resolve(got);
          }
        },
        { noAck: true },
      );
    });
  } finally {
    await conn.close();
  }
}

/** Counts handler calls and lets a test await the n-th one. */
function counter(): {
  calls: BusEvent[];
  until(n: number): Promise<void>;
  record(e: BusEvent): void;
} {
  const calls: BusEvent[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    calls,
    record(e) {
      calls.push(e);
      for (const w of waiters.filter((x) => calls.length >= x.n)) w.resolve();
    },
    until(n) {
      if (calls.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${n} handler calls; got ${calls.length}`));
        }, 10_000);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

const resolved = (_: unknown): Promise<void> => Promise.resolve();

const hex = (): string => randomBytes(12).toString('hex');

function sentEvent(conversationId = hex(), seq = 1): BusEvent {
  return {
    key: 'message.sent',
    payload: {
      timestamp: new Date().toISOString(),
      message_id: hex(),
      conversation_id: conversationId,
      seq,
      sender_id: hex(),
      temp_id: null,
    },
  };
}

const messageIdOf = (event: BusEvent): string =>
  'message_id' in event.payload ? event.payload.message_id : '';

function latch(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('declares the exact topology, durable, and redeclaring it is compatible', async () => {
  await openBus();
  await openBus(); // a second node declares the same queues with the same arguments
  await inspect(async (ch) => {
    // Active declarations with the expected properties fail (406) if type or durability differ.
    await ch.assertExchange('events', 'topic', { durable: true });
    await ch.assertExchange('message_events', 'topic', { durable: true });
    await ch.assertExchange('message_events.partitions', 'headers', { durable: true });
    await ch.assertExchange('message_events.dlx', 'fanout', { durable: true });
    await ch.assertQueue('message_consumer.dlq', { durable: true });
    for (const q of partitionQueues) {
      await ch.assertQueue(q, {
        durable: true,
        deadLetterExchange: 'message_events.dlx',
        arguments: { 'x-single-active-consumer': true },
      });
    }
  });
});

test('an event published to message_events with its design key lands in exactly its partition', async () => {
  const bus = await openBus();
  const conversations = Array.from({ length: 12 }, () => hex());
  for (const c of conversations) await bus.publish(sentEvent(c));
  const expected = Array.from({ length: PARTITIONS }, () => 0);
  for (const c of conversations) expected[partitionOf(c, PARTITIONS)]! += 1;
  expect(await readyByPartition()).toEqual(expected);
  // A queue a deployment binds to message_events with message.* still sees every event.
  await inspect(async (ch) => {
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'message_events', 'message.*');
    await bus.publish(sentEvent());
    expect((await ch.checkQueue(queue)).messageCount).toBe(1);
  });
});

test('measures its backlog: the events waiting in every partition queue for a consumer', async () => {
  const bus = await openBus();
  expect(bus.backlog()).toBe(0);
  expect(await bus.measureBacklog()).toBe(0);
  for (let i = 0; i < 12; i++) await bus.publish(sentEvent());
  expect(await bus.measureBacklog()).toBe(12);
  expect(bus.backlog()).toBe(12);
  // Taken by a consumer, they are no longer waiting.
  const seen = counter();
  await bus.subscribe((e) => {
    seen.record(e);
    return Promise.resolve();
  });
  await seen.until(12);
  expect(await bus.measureBacklog()).toBe(0);
});

test('counts the deliveries its handlers have not finished in its backlog, which the broker no longer counts ready', async () => {
  const bus = await openBus();
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const seen = counter();
  await bus.subscribe((e) => {
    seen.record(e);
    return held;
  });
  for (let i = 0; i < 5; i++) await bus.publish(sentEvent());
  await seen.until(5);
  expect(await bus.measureBacklog()).toBe(0);
  expect(bus.backlog()).toBe(5);
  release();
  await bus.stopConsuming(); // waits for the handlers (and their acks)
  expect(bus.backlog()).toBe(0);
});

test('publish → consume round trip keeps the payload intact', async () => {
  const bus = await openBus();
  const seen = counter();
  await bus.subscribe((e) => resolved(seen.record(e)));
  const event = sentEvent();
  await bus.publish(event);
  await seen.until(1);
  expect(seen.calls).toEqual([event]);
  expect(bus.isConnected()).toBe(true);
});

test('one node at a time consumes a partition, in order; the other takes over when it closes', async () => {
  const first = await openBus();
  const second = await openBus();
  const onFirst = counter();
  const onSecond = counter();
  await first.subscribe((e) => resolved(onFirst.record(e)));
  await second.subscribe((e) => resolved(onSecond.record(e)));
  const conversation = hex();
  const events = Array.from({ length: 40 }, (_, i) => sentEvent(conversation, i + 1));
  for (const e of events) await second.publish(e);
  await onFirst.until(40);
  // The first consumer of a single-active-consumer queue is its active one; the standby idles.
  expect(onFirst.calls.map(messageIdOf)).toEqual(events.map(messageIdOf));
  expect(onSecond.calls).toEqual([]);

  await first.close();
  const later = Array.from({ length: 10 }, (_, i) => sentEvent(conversation, 41 + i));
  for (const e of later) await second.publish(e);
  await onSecond.until(10);
  expect(onSecond.calls.map(messageIdOf)).toEqual(later.map(messageIdOf));
});

test('a handler failing twice gets the event three times, then it is acked once', async () => {
  const bus = await openBus({ maxAttempts: 5 });
  const calls = counter();
  await bus.subscribe((e) => {
    calls.record(e);
    return calls.calls.length <= 2
      ? Promise.reject(new Error(`failure ${calls.calls.length}`))
      : Promise.resolve();
  });
  await bus.publish(sentEvent());
  await calls.until(3);
  await bus.close();
  expect(calls.calls).toHaveLength(3);
  expect(await readyByPartition()).toEqual([0, 0, 0, 0]);
  expect(
    await inspect(async (ch) => (await ch.checkQueue('message_consumer.dlq')).messageCount),
  ).toBe(0);
});

test('a transient failure (UnavailableError) is retried past maxAttempts instead of dead-lettered', async () => {
  const bus = await openBus({ maxAttempts: 2, retryMaxMs: 40 });
  const calls = counter();
  await bus.subscribe((e) => {
    calls.record(e);
    return calls.calls.length <= 4
      ? Promise.reject(new UnavailableError('the database'))
      : Promise.resolve();
  });
  await bus.publish(sentEvent());
  await calls.until(5);
  await bus.close();
  expect(calls.calls).toHaveLength(5);
  expect(
    await inspect(async (ch) => (await ch.checkQueue('message_consumer.dlq')).messageCount),
  ).toBe(0);
});

test('a handler that always fails sends the event to message_consumer.dlq after maxAttempts', async () => {
  const bus = await openBus({ maxAttempts: 3 });
  const calls = counter();
  await bus.subscribe((e) => {
    calls.record(e);
    return Promise.reject(new Error('always'));
  });
  const event = sentEvent();
  const dead = takeDeadLetters(1);
  await bus.publish(event);
  const [letter] = await dead;
  expect(calls.calls).toHaveLength(3);
  expect(letter?.fields.routingKey).toBe('message.sent'); // replayable with its original key
  expect(JSON.parse(letter?.content.toString() ?? '')).toEqual(event.payload);
});

test('malformed messages go straight to the DLQ without reaching the handler', async () => {
  const bus = await openBus();
  const calls = counter();
  await bus.subscribe((e) => resolved(calls.record(e)));
  const dead = takeDeadLetters(3);
  const conn = await connect(vhost.url);
  try {
    const ch = await conn.createConfirmChannel();
    const headers = { 'parley-partition': '0' };
    ch.publish('message_events', 'message.sent', Buffer.from('not json {'), { headers });
    ch.publish('message_events', 'message.bogus', Buffer.from('{"timestamp":"x"}'), { headers });
    ch.publish('message_events', 'message.sent', Buffer.from('{"message_id":1}'), { headers });
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
  expect(await dead).toHaveLength(3);
  expect(calls.calls).toHaveLength(0);
});

test('message.typing is refused and never lands in a consumer queue', async () => {
  const bus = await openBus();
  const typing: BusEvent = {
    key: 'message.typing',
    payload: { timestamp: new Date().toISOString(), conversation_id: hex(), user_id: hex() },
  };
  await expect(bus.publish(typing)).rejects.toThrow(/ephemeral/);
  await bus.publish(sentEvent()); // confirmed after anything published before it
  expect((await readyByPartition()).reduce((a, b) => a + b, 0)).toBe(1);
});

test('an event stays unacked while its handler runs; close() waits for the handler', async () => {
  const bus = await openBus();
  const started = latch();
  const release = latch();
  let calls = 0;
  await bus.subscribe(async () => {
    calls += 1;
    started.open();
    await release.promise;
  });
  let closed = false;
  let closing: Promise<unknown> = Promise.resolve();
  const event = sentEvent();
  const queue = consumerQueue(partitionOf(event.payload.conversation_id, PARTITIONS));
  try {
    await bus.publish(event);
    await started.promise;
    closing = bus.close().then(() => (closed = true));
    const whileRunning = await vhost.queueCounts();
    expect(whileRunning.get(queue)).toEqual({ ready: 0, unacked: 1 });
    expect(closed).toBe(false);
  } finally {
    release.open(); // even when an expectation failed, or afterEach's close() would wait forever
  }
  await closing;
  expect(bus.isConnected()).toBe(false);
  // Acked by the handler's end, not requeued by the close.
  expect(await readyByPartition()).toEqual([0, 0, 0, 0]);
  expect(calls).toBe(1);
});

test('reconnects after the broker drops its connections and consumes again', async () => {
  const bus = await openBus();
  const seen = counter();
  await bus.subscribe((e) => resolved(seen.record(e)));
  await vhost.closeConnections();
  await waitFor(() => !bus.isConnected(), { what: 'the drop to be noticed' });
  const event = sentEvent();
  await bus.publish(event); // waits (bounded) for the reconnect, then is confirmed
  await seen.until(1);
  expect(seen.calls.map(messageIdOf)).toEqual([messageIdOf(event)]);
  expect(bus.isConnected()).toBe(true);
});

test('during an outage publish rejects within its bound; service resumes afterwards', async () => {
  const bus = await openBus({
    publishTimeoutMs: 500,
    reconnect: { initialDelayMs: 100, maxDelayMs: 300 },
  });
  const seen = counter();
  await bus.subscribe((e) => resolved(seen.record(e)));
  await vhost.denyAccess();
  try {
    await vhost.closeConnections();
    await waitFor(() => !bus.isConnected(), { what: 'the drop to be noticed' });
    await expect(bus.publish(sentEvent())).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      cause: expect.objectContaining({
        message: expect.stringMatching(/not confirmed within 500 ms/),
      }),
    });
  } finally {
    await vhost.allowAccess();
  }
  await waitFor(() => bus.isConnected(), { what: 'the reconnect', timeoutMs: 10_000 });
  const event = sentEvent();
  await bus.publish(event);
  await seen.until(1);
  expect(seen.calls.map(messageIdOf)).toContain(messageIdOf(event));
});

test('200 concurrent publishes are all confirmed (pipelined)', async () => {
  const bus = await openBus();
  await Promise.all(Array.from({ length: 200 }, () => bus.publish(sentEvent())));
  expect((await readyByPartition()).reduce((a, b) => a + b, 0)).toBe(200);
});
