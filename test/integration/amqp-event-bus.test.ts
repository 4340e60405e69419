// AmqpEventBus against a real RabbitMQ (own vhost): topology, confirms, acks, retries, DLQ, reconnects.
import { connect, type Channel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { AmqpEventBus, type AmqpEventBusOptions } from '../../src/adapters/bus/amqp-event-bus';
import { createLogger } from '../../src/observability/logger';
import type { BusEvent } from '../../src/protocol/events';
import { createTestVhost, type TestVhost } from '../support/rabbit-vhost';

jest.setTimeout(20_000);

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
    for (const queue of ['message_consumer', 'message_consumer.retry', 'message_consumer.dlq']) {
      await ch.purgeQueue(queue);
    }
  });
});

afterAll(async () => {
  await vhost.drop();
});

async function openBus(options: Partial<AmqpEventBusOptions> = {}): Promise<AmqpEventBus> {
  const bus = await AmqpEventBus.connect({ url: vhost.url, logger, retryBaseMs: 20, ...options });
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

const readyCount = (queue: string): Promise<number> =>
  inspect(async (ch) => (await ch.checkQueue(queue)).messageCount);

async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The broker's own view: nothing ready, nothing unacked, in the consumer and retry queues. */
async function waitForIdleQueues(): Promise<void> {
  await waitFor('idle queues', async () => {
    const counts = await vhost.queueCounts();
    return ['message_consumer', 'message_consumer.retry'].every(
      (q) => counts.get(q)?.ready === 0 && counts.get(q)?.unacked === 0,
    );
  });
}

const hex = (): string => randomBytes(12).toString('hex');

function sentEvent(messageId = hex()): BusEvent {
  return {
    key: 'message.sent',
    payload: {
      timestamp: new Date().toISOString(),
      message_id: messageId,
      conversation_id: hex(),
      sender_id: hex(),
      temp_id: null,
    },
  };
}

function messageIdOf(event: BusEvent): string {
  return 'message_id' in event.payload ? event.payload.message_id : '';
}

/** A synchronous test handler as the async one the bus expects; a throw becomes a rejection. */
function handlerFrom(fn: (event: BusEvent) => void): (event: BusEvent) => Promise<void> {
  return (event) =>
    new Promise((resolve) => {
      fn(event);
      resolve();
    });
}

function latch(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('declares the exact topology, durable, and redeclaring it is compatible', async () => {
  await openBus();
  await openBus(); // a second node declares the same queues with the same arguments
  await inspect(async (ch) => {
    for (const name of ['events', 'message_events', 'message_events.dlx']) {
      await ch.checkExchange(name);
    }
    // Active declarations with the expected properties fail (406) if type or durability differ.
    await ch.assertExchange('events', 'topic', { durable: true });
    await ch.assertExchange('message_events', 'topic', { durable: true });
    await ch.assertExchange('message_events.dlx', 'fanout', { durable: true });
    for (const name of ['message_consumer', 'message_consumer.dlq', 'message_consumer.retry']) {
      await ch.checkQueue(name);
    }
    await ch.assertQueue('message_consumer.dlq', { durable: true });
    await ch.assertQueue('message_consumer', {
      durable: true,
      deadLetterExchange: 'message_events.dlx',
    });
    // The binding: any message.* key routes into message_consumer.
    ch.publish('message_events', 'message.seen', Buffer.from('{}'));
    await waitFor(
      'routed',
      async () => (await ch.checkQueue('message_consumer')).messageCount === 1,
    );
  });
});

test('publish → consume round trip keeps the payload intact', async () => {
  const bus = await openBus();
  const received: BusEvent[] = [];
  await bus.subscribe(
    handlerFrom((event) => {
      received.push(event);
    }),
  );
  const event = sentEvent();
  await bus.publish(event);
  await waitFor('the event', () => received.length === 1);
  expect(received).toEqual([event]);
  expect(bus.isConnected()).toBe(true);
});

test('two nodes are competing consumers: 50 events, each handled exactly once', async () => {
  const perNode = [0, 0];
  const handled = new Map<string, number>();
  const nodes = [await openBus(), await openBus()];
  for (const [index, bus] of nodes.entries()) {
    await bus.subscribe(
      handlerFrom((event) => {
        perNode[index] = (perNode[index] ?? 0) + 1;
        const id = messageIdOf(event);
        handled.set(id, (handled.get(id) ?? 0) + 1);
      }),
    );
  }
  const events = Array.from({ length: 50 }, () => sentEvent());
  await Promise.all(events.map((event) => nodes[0]!.publish(event)));
  await waitFor('50 handled', () => handled.size === 50);
  await waitForIdleQueues(); // every delivery acked: nothing left that could arrive twice
  expect([...handled.keys()].sort()).toEqual(events.map(messageIdOf).sort());
  expect([...handled.values()].every((count) => count === 1)).toBe(true);
  expect(perNode[0]! + perNode[1]!).toBe(50);
  expect(perNode[0]).toBeGreaterThan(0);
  expect(perNode[1]).toBeGreaterThan(0);
});

test('a handler failing twice gets the event three times, then it is acked once', async () => {
  const bus = await openBus({ maxAttempts: 5 });
  let calls = 0;
  let succeeded = false;
  await bus.subscribe(
    handlerFrom(() => {
      calls += 1;
      if (calls <= 2) throw new Error(`failure ${calls}`);
      succeeded = true;
    }),
  );
  await bus.publish(sentEvent());
  await waitFor('success on the third try', () => succeeded);
  await waitForIdleQueues();
  expect(calls).toBe(3);
  expect(await readyCount('message_consumer.dlq')).toBe(0);
});

test('a handler that always fails sends the event to message_consumer.dlq after maxAttempts', async () => {
  const bus = await openBus({ maxAttempts: 3 });
  let calls = 0;
  await bus.subscribe(
    handlerFrom(() => {
      calls += 1;
      throw new Error('always');
    }),
  );
  const event = sentEvent();
  await bus.publish(event);
  await waitFor('the dead letter', async () => (await readyCount('message_consumer.dlq')) === 1);
  expect(calls).toBe(3);
  await waitForIdleQueues();
  const dead = await inspect((ch) => ch.get('message_consumer.dlq', { noAck: true }));
  if (!dead) throw new Error('no dead letter');
  expect(dead.fields.routingKey).toBe('message.sent'); // replayable with its original key
  expect(JSON.parse(dead.content.toString())).toEqual(event.payload);
});

test('malformed messages go straight to the DLQ without reaching the handler', async () => {
  const bus = await openBus();
  let calls = 0;
  await bus.subscribe(
    handlerFrom(() => {
      calls += 1;
    }),
  );
  await inspect(async (ch) => {
    ch.publish('message_events', 'message.sent', Buffer.from('not json {'));
    ch.publish('message_events', 'message.bogus', Buffer.from(JSON.stringify({ timestamp: 'x' })));
    ch.publish('message_events', 'message.sent', Buffer.from(JSON.stringify({ message_id: 1 })));
    await waitFor('3 dead letters', async () => (await readyCount('message_consumer.dlq')) === 3);
  });
  expect(calls).toBe(0);
});

test('message.typing is refused and never lands in message_consumer', async () => {
  const bus = await openBus();
  const typing: BusEvent = {
    key: 'message.typing',
    payload: { timestamp: new Date().toISOString(), conversation_id: hex(), user_id: hex() },
  };
  await expect(bus.publish(typing)).rejects.toThrow(/ephemeral/);
  await bus.publish(sentEvent()); // confirmed after anything published before it
  expect(await readyCount('message_consumer')).toBe(1);
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
  try {
    await bus.publish(sentEvent());
    await started.promise;
    closing = bus.close().then(() => (closed = true));
    const whileRunning = await vhost.queueCounts();
    expect(whileRunning.get('message_consumer')).toEqual({ ready: 0, unacked: 1 });
    expect(closed).toBe(false);
  } finally {
    release.open(); // even when an expectation failed, or afterEach's close() would wait forever
  }
  await closing;
  expect(bus.isConnected()).toBe(false);

  await waitForIdleQueues(); // acked by the handler's end, not requeued by the close
  expect(calls).toBe(1);
  expect(await inspect(async (ch) => (await ch.checkQueue('message_consumer')).consumerCount)).toBe(
    0,
  );
});

test('reconnects after the broker drops its connections and consumes again', async () => {
  const bus = await openBus();
  const received: string[] = [];
  await bus.subscribe(
    handlerFrom((event) => {
      received.push(messageIdOf(event));
    }),
  );
  await vhost.closeConnections();
  await waitFor('the drop to be noticed', () => !bus.isConnected());
  const event = sentEvent();
  await bus.publish(event); // waits (bounded) for the reconnect, then is confirmed
  await waitFor('the event after reconnect', () => received.includes(messageIdOf(event)));
  expect(bus.isConnected()).toBe(true);
});

test('during an outage publish rejects within its bound; service resumes afterwards', async () => {
  const bus = await openBus({
    publishTimeoutMs: 500,
    reconnect: { initialDelayMs: 100, maxDelayMs: 300 },
  });
  const received: string[] = [];
  await bus.subscribe(
    handlerFrom((event) => {
      received.push(messageIdOf(event));
    }),
  );
  await vhost.denyAccess();
  try {
    await vhost.closeConnections();
    await waitFor('the drop to be noticed', () => !bus.isConnected());
    const startedAt = Date.now();
    await expect(bus.publish(sentEvent())).rejects.toThrow(/not confirmed within 500 ms/);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  } finally {
    await vhost.allowAccess();
  }
  await waitFor('the reconnect', () => bus.isConnected(), 10_000);
  const event = sentEvent();
  await bus.publish(event);
  await waitFor('the event after the outage', () => received.includes(messageIdOf(event)));
});

test('200 concurrent publishes are all confirmed (pipelined)', async () => {
  const bus = await openBus();
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: 200 }, () => bus.publish(sentEvent())));
  const elapsed = Date.now() - startedAt;
  expect(await readyCount('message_consumer')).toBe(200);
  expect(elapsed).toBeLessThan(5_000);
});
