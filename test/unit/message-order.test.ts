// MessageService over MemoryStore with a frozen clock: sequential sends keep their order (by seq)
// even when their ids (derived from tempIds) sort randomly within one millisecond.
import { MemoryEventBus } from '../../src/adapters/bus/memory-event-bus';
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { MessageService } from '../../src/app/message-service';
import { createLogger } from '../../src/observability/logger';
import { aConversation, aParticipant, aUser } from '../support/factories';

it('numbers each message of a conversation after the previous one', async () => {
  const store = createMemoryStore();
  const logger = createLogger('silent', 'test');
  const frozen = new Date('2030-01-01T00:00:00.000Z');
  const messages = new MessageService({
    store,
    bus: new MemoryEventBus(logger),
    clock: () => frozen,
    limits: { maxMessageLength: 100, maxMediaItems: 1 },
    sendLimiter: { consume: () => Promise.resolve() },
    logger,
  });
  const user = aUser();
  const conversation = aConversation();
  await store.insertUser(user);
  await store.insertConversation(conversation);
  await store.upsertParticipant(aParticipant(conversation.id, user.id));

  const sent: string[] = [];
  for (let i = 0; i < 40; i++) {
    sent.push(
      (await messages.send(user, conversation.id, { content: `m${i}`, tempId: `t${i}` })).message
        .id,
    );
  }
  const page = await messages.list(user.id, conversation.id, undefined, 100);
  expect(page.items.map((m) => m.id)).toEqual(sent);
  expect(page.items.map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  // A frozen clock gives every message the same time: the order is the seq's, not the clock's.
  expect(new Set(page.items.map((m) => m.created_at)).size).toBe(1);
});
