// A send is answered once the message and its pending event are stored: the publish follows on
// its own, counted by dispatching() (backpressure sees it) and awaited by dispatched() (drain).
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import type { BusEvent } from '../../src/protocol/events';
import type { EventBus, Store } from '../../src/ports';
import { messagingServices } from '../support/app-services';
import { aUser } from '../support/factories';

/** The services over `store` and `bus`, and a group of alice and bob. */
async function aliceInAGroup(store: Store, bus: EventBus) {
  const { messages, conversations } = messagingServices(store, () => new Date(), bus);
  const [alice, bob] = [aUser(), aUser()];
  await store.insertUser(alice);
  await store.insertUser(bob);
  const { conversation } = await conversations.create(alice.id, {
    type: 'GROUP',
    name: 'g',
    participantIds: [bob.id],
  });
  return { messages, alice, conversation };
}

it('answers a send before the broker confirms its event, and clears the outbox after', async () => {
  const store = createMemoryStore();
  const confirms: (() => void)[] = [];
  const published: BusEvent[] = [];
  const bus: EventBus = {
    publish: (event) => {
      published.push(event);
      // The broker has not confirmed yet: this publish waits until the test releases it.
      return new Promise<void>((resolve) => confirms.push(resolve));
    },
    subscribe: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const { messages, alice, conversation } = await aliceInAGroup(store, bus);
  const sentBefore = published.length;
  confirms.splice(0).forEach((confirm) => confirm());

  const { message } = await messages.send(alice, conversation.id, { content: 'hi' });
  expect(published.slice(sentBefore).map((e) => e.key)).toEqual(['message.sent']);
  expect(messages.dispatching()).toBe(1);
  expect(await store.countPendingMessageEvents()).toBe(1);
  let drained = false;
  const drain = messages.dispatched().then(() => (drained = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(drained).toBe(false);

  confirms.splice(0).forEach((confirm) => confirm());
  await drain;
  expect(messages.dispatching()).toBe(0);
  expect(await store.countPendingMessageEvents()).toBe(0);
  expect((await store.findMessage(message.id))?.seq).toBe(message.seq);
});

it('counts a send from the moment backpressure lets it in, while its append runs', async () => {
  const memory = createMemoryStore();
  let release: () => void = () => undefined;
  const writing = new Promise<void>((resolve) => {
    release = resolve;
  });
  let appendsStarted = 0;
  let allStarted: () => void = () => undefined;
  const threeStarted = new Promise<void>((resolve) => {
    allStarted = resolve;
  });
  const store = {
    ...memory,
    appendMessage: async (...args: Parameters<typeof memory.appendMessage>) => {
      if (++appendsStarted === 3) allStarted();
      await writing;
      return memory.appendMessage(...args);
    },
  };
  const bus: EventBus = {
    publish: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const { messages, alice, conversation } = await aliceInAGroup(store, bus);
  const sends = [1, 2, 3].map((i) => messages.send(alice, conversation.id, { content: `m${i}` }));
  await threeStarted;
  expect(messages.dispatching()).toBe(3);
  release();
  await Promise.all(sends);
  await messages.dispatched();
  expect(messages.dispatching()).toBe(0);
});
