// OutboxRelay over MemoryStore and a recording bus, on a fake clock: stuck events are published
// once, a claim keeps two relays from both publishing, a failure stays pending for a later pass,
// and stop() waits for the pass in progress.
import pino from 'pino';
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { MessageService } from '../../src/app/message-service';
import { OutboxRelay } from '../../src/app/outbox-relay';
import type { Message } from '../../src/domain/types';
import type { BusEvent } from '../../src/protocol/events';
import type { EventBus, Store } from '../../src/ports';
import { aConversation, aMessage, aUser } from '../support/factories';

const INTERVAL_MS = 1000;
const T0 = new Date('2030-01-01T00:00:00.000Z').getTime();
const logger = pino({ level: 'silent' });

/** A bus that records what was published and fails the publishes it is told to fail. */
class RecordingBus implements EventBus {
  readonly published: BusEvent[] = [];
  /** Message ids whose publish fails (as during a broker outage). */
  readonly failing = new Set<string>();

  publish(event: BusEvent): Promise<void> {
    if (event.key === 'message.sent' && this.failing.has(event.payload.message_id))
      return Promise.reject(new Error('broker unavailable'));
    this.published.push(event);
    return Promise.resolve();
  }
  subscribe(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Ids of the message.sent events published so far, in order. */
  sentIds(): string[] {
    return this.published.flatMap((e) => (e.key === 'message.sent' ? [e.payload.message_id] : []));
  }
}

function relayOver(store: Store, bus: EventBus, messages = messagesOver(store, bus)): OutboxRelay {
  return new OutboxRelay({ store, messages, logger }, { intervalMs: INTERVAL_MS, graceMs: 500 });
}

function messagesOver(store: Store, bus: EventBus): MessageService {
  return new MessageService({
    store,
    bus,
    clock: () => new Date(),
    limits: { maxMessageLength: 100, maxMediaItems: 2 },
    sendLimiter: { consume: () => Promise.resolve() },
    logger,
  });
}

/** Stores messages whose message.sent never reached the bus (inserted: pending, never cleared). */
async function stuckMessages(store: Store, count: number, ageMs = 60_000): Promise<Message[]> {
  const sender = aUser();
  const conversation = aConversation();
  await store.insertUser(sender);
  await store.insertConversation(conversation);
  const stored: Message[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const message = aMessage(conversation.id, sender.id, {
      seq,
      createdAt: new Date(Date.now() - ageMs),
    });
    await store.insertMessage(message);
    stored.push(message);
  }
  return stored;
}

const pendingIds = async (store: Store): Promise<string[]> =>
  (await store.listPendingMessageEvents(new Date(Date.now() + 1), 100)).map((m) => m.id);

/** Lets promise callbacks and I/O callbacks queued so far run (setImmediate is not faked). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  // Only the clock and the relay's interval are fake: promises and setImmediate stay real.
  jest.useFakeTimers({
    now: T0,
    doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask'],
  });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('OutboxRelay', () => {
  it('publishes each stuck event once, leaves events still in flight alone, and clears what it sent', async () => {
    const store = createMemoryStore();
    const bus = new RecordingBus();
    const stuck = await stuckMessages(store, 2);
    const [inFlight] = await stuckMessages(store, 1, 100); // younger than the grace period
    const relay = relayOver(store, bus);

    expect(await relay.drain()).toBe(2);
    expect(bus.sentIds()).toEqual(stuck.map((m) => m.id));
    expect(bus.published[0]).toEqual({
      key: 'message.sent',
      payload: {
        message_id: stuck[0]?.id,
        conversation_id: stuck[0]?.conversationId,
        seq: 1,
        sender_id: stuck[0]?.senderId,
        temp_id: null,
        socket_id: null,
        timestamp: new Date(T0).toISOString(),
      },
    });
    expect(await pendingIds(store)).toEqual([inFlight?.id]);

    // Long after every claim would have expired, nothing sent is sent again.
    jest.setSystemTime(T0 + 60_000);
    expect(await relay.drain()).toBe(1);
    expect(bus.sentIds()).toEqual([...stuck.map((m) => m.id), inFlight?.id]);
    expect(await relay.drain()).toBe(0);
    expect(bus.published).toHaveLength(3);
  });

  it('leaves an event this node is still publishing alone, however old', async () => {
    const store = createMemoryStore();
    const bus = new RecordingBus();
    const [slow, stuck] = await stuckMessages(store, 2);
    if (!slow || !stuck) throw new Error('two messages expected');
    // The slow one's publish waits for a confirm that has not come yet.
    let confirm: () => void = () => undefined;
    const publish = bus.publish.bind(bus);
    let attempts = 0;
    bus.publish = (event) => {
      if (event.key !== 'message.sent' || event.payload.message_id !== slow.id)
        return publish(event);
      attempts++;
      return new Promise<void>((resolve) => {
        confirm = resolve;
      }).then(() => publish(event));
    };
    const messages = messagesOver(store, bus);
    const relay = relayOver(store, bus, messages);
    const dispatch = messages.dispatchSent(slow);
    expect(messages.isDispatching(slow.id)).toBe(true);

    expect(await relay.drain()).toBe(1);
    expect(bus.sentIds()).toEqual([stuck.id]);
    expect(attempts).toBe(1);
    confirm();
    await expect(dispatch).resolves.toBe(true);
    expect(messages.isDispatching(slow.id)).toBe(false);
    expect(await pendingIds(store)).toEqual([]);
    expect(await relay.drain()).toBe(0);
    expect(bus.sentIds()).toEqual([stuck.id, slow.id]);
  });

  it('lets only one of two relays draining at once publish each event', async () => {
    const store = createMemoryStore();
    const bus = new RecordingBus();
    const stuck = await stuckMessages(store, 5);
    const [a, b] = [relayOver(store, bus), relayOver(store, bus)];

    const counts = await Promise.all([a.drain(), b.drain()]);
    expect(counts[0] + counts[1]).toBe(5);
    expect([...bus.sentIds()].sort()).toEqual(stuck.map((m) => m.id).sort());
  });

  it('keeps a failed publish pending and claimed past the next pass, then publishes it', async () => {
    const store = createMemoryStore();
    const bus = new RecordingBus();
    const [failed, fine] = await stuckMessages(store, 2);
    if (!failed || !fine) throw new Error('two messages expected');
    const [a, b] = [relayOver(store, bus), relayOver(store, bus)];
    bus.failing.add(failed.id);

    // Only what reached the broker counts as published.
    expect(await a.drain()).toBe(1);
    // One failure does not hold back the rest of the batch.
    expect(bus.sentIds()).toEqual([fine.id]);
    expect(await pendingIds(store)).toEqual([failed.id]);

    // The broker is back, but the claim outlives one pass: no relay retries it at once...
    bus.failing.clear();
    jest.setSystemTime(T0 + INTERVAL_MS);
    await Promise.all([a.drain(), b.drain()]);
    expect(bus.sentIds()).toEqual([fine.id]);

    // ...and once it has expired, exactly one of them does.
    jest.setSystemTime(T0 + 2 * INTERVAL_MS + 1);
    await Promise.all([a.drain(), b.drain()]);
    expect(bus.sentIds()).toEqual([fine.id, failed.id]);
    expect(await pendingIds(store)).toEqual([]);
  });

  it('survives a failing store: the pass ends, the next one works', async () => {
    const memory = createMemoryStore();
    const bus = new RecordingBus();
    const [message] = await stuckMessages(memory, 1);
    let down = true;
    const store: Store = {
      ...memory,
      listPendingMessageEvents: (before, limit) =>
        down
          ? Promise.reject(new Error('store unavailable'))
          : memory.listPendingMessageEvents(before, limit),
    };
    const relay = relayOver(store, bus);
    expect(await relay.drain()).toBe(0);
    down = false;
    expect(await relay.drain()).toBe(1);
    expect(bus.sentIds()).toEqual([message?.id]);
  });

  it('runs a pass every interval once started, and stop() waits for the pass in progress', async () => {
    const memory = createMemoryStore();
    const bus = new RecordingBus();
    const [message] = await stuckMessages(memory, 1);
    let passes = 0;
    let release: () => void = () => undefined;
    const store: Store = {
      ...memory,
      // Each pass starts here; the test decides when the listing comes back.
      listPendingMessageEvents: async (before, limit) => {
        passes++;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return memory.listPendingMessageEvents(before, limit);
      },
    };
    const relay = relayOver(store, bus);
    relay.start();
    relay.start(); // idempotent: still one timer
    expect(passes).toBe(0);
    jest.advanceTimersByTime(INTERVAL_MS);
    expect(passes).toBe(1);
    // A pass still running is not overlapped by the next tick.
    jest.advanceTimersByTime(INTERVAL_MS);
    expect(passes).toBe(1);

    let stopped = false;
    const stopping = relay.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    release();
    await stopping;
    // The pass finished its work before stop() resolved, and no pass starts after it.
    expect(bus.sentIds()).toEqual([message?.id]);
    jest.advanceTimersByTime(10 * INTERVAL_MS);
    expect(passes).toBe(1);
  });
});
