// ConversationService on a frozen clock: members added in the same millisecond as the group's
// creation still join after the existing members, so "oldest member" succession is well defined.
import { MemoryEventBus } from '../../src/adapters/bus/memory-event-bus';
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { ConversationService } from '../../src/app/conversation-service';
import { createLogger } from '../../src/observability/logger';
import { aUser } from '../support/factories';

it('promotes the member who joined first, even when everyone joined within one millisecond', async () => {
  const store = createMemoryStore();
  const frozen = new Date('2030-01-01T00:00:00.000Z');
  const conversations = new ConversationService({
    store,
    bus: new MemoryEventBus(createLogger('silent', 'test')),
    presence: { onlineAmong: () => Promise.resolve(new Set<string>()) },
    clock: () => frozen,
  });
  // Ids chosen so that a tie on joinedAt would pick the later member (ids sort first).
  const [alice, bob, carol] = [
    aUser({ id: 'a'.repeat(24) }),
    aUser({ id: 'f'.repeat(24) }),
    aUser({ id: '1'.repeat(24) }),
  ];
  for (const u of [alice, bob, carol]) await store.insertUser(u);
  const { conversation } = await conversations.create(alice.id, {
    type: 'GROUP',
    name: 'succession',
    participantIds: [bob.id],
  });
  await conversations.addParticipants(alice.id, conversation.id, [carol.id]);
  await conversations.removeParticipant(alice.id, conversation.id, alice.id);
  const roles = Object.fromEntries(
    (await store.listParticipants(conversation.id))
      .filter((p) => p.leftAt === null)
      .map((p) => [p.userId, p.role]),
  );
  expect(roles).toEqual({ [bob.id]: 'ADMIN', [carol.id]: 'MEMBER' });
});
