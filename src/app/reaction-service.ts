// Reactions: a participant adds or removes an emoji on a message (one per user per emoji, so a
// repeat changes nothing and emits nothing); every participant's devices learn it through
// `message.reactions`, a returning device through SYNC, and message views carry the aggregate.
import { AppError } from '../domain/errors';
import { aggregateReactions, groupByMessage, MAX_DISTINCT_EMOJIS } from '../domain/reactions';
import type { Message } from '../domain/types';
import type { MessageReactions, ReactionCountPublic } from '../protocol/rest';
import type { Clock, EventBus, Store } from '../ports';
import { requireMembership, requireMessageIn } from './access';
import { blockedSendError } from './block-service';
import { iso } from './views';

export type ReactionAction = 'added' | 'removed';

export class ReactionService {
  constructor(private readonly deps: { store: Store; bus: EventBus; clock: Clock }) {}

  /** Adds (`added`) or removes (`removed`) the caller's `emoji` on the message; repeatable. */
  async react(
    callerId: string,
    conversationId: string,
    messageId: string,
    emoji: string,
    action: ReactionAction,
  ): Promise<MessageReactions & { seq: number }> {
    const { store, bus, clock } = this.deps;
    const { participant } = await requireMembership(store, conversationId, callerId);
    // A blocked DIRECT takes nothing new from either side; taking one's reaction back stays open.
    if (action === 'added' && participant.blocked)
      throw await blockedSendError(store, conversationId, callerId);
    const message = await requireMessageIn(store, conversationId, messageId, 'not-found');
    if (message.deletedAt !== null)
      throw new AppError('CONFLICT', 'the message was deleted: it takes no reactions');
    const key = { messageId, conversationId, messageSeq: message.seq, userId: callerId, emoji };
    const before = await store.listReactionsOfMessages([messageId]);
    if (action === 'added') {
      const emojis = new Set(before.map((r) => r.emoji));
      if (!emojis.has(emoji) && emojis.size >= MAX_DISTINCT_EMOJIS)
        throw new AppError(
          'CONFLICT',
          `the message has ${MAX_DISTINCT_EMOJIS} different reactions already; join one of them`,
        );
    }
    const now = clock();
    const changed =
      action === 'added' ? await store.addReaction(key, now) : await store.removeReaction(key, now);
    if (!changed) return this.answer(message, before, callerId);
    // Re-read: concurrent reactions of others may have landed since `before`.
    const after = await store.listReactionsOfMessages([messageId]);
    await bus.publish({
      key: 'message.reactions',
      payload: {
        conversation_id: conversationId,
        message_id: messageId,
        seq: message.seq,
        user_id: callerId,
        emoji,
        action,
        reactions: aggregateReactions(after, null).map(({ emoji: e, count }) => ({
          emoji: e,
          count,
        })),
        timestamp: iso(now),
      },
    });
    return this.answer(message, after, callerId);
  }

  private answer(
    message: Message,
    records: Parameters<typeof aggregateReactions>[0],
    callerId: string,
  ): MessageReactions & { seq: number } {
    return {
      conversation_id: message.conversationId,
      message_id: message.id,
      seq: message.seq,
      reactions: aggregateReactions(records, callerId),
    };
  }
}

/** The reactions of a page of messages as `viewerId` sees them, in one store read (never one per message). */
export async function loadReactionViews(
  store: Pick<Store, 'listReactionsOfMessages'>,
  messages: readonly Message[],
  viewerId: string,
): Promise<Map<string, ReactionCountPublic[]>> {
  const ids = messages.filter((m) => m.deletedAt === null).map((m) => m.id);
  if (ids.length === 0) return new Map();
  const grouped = groupByMessage(await store.listReactionsOfMessages(ids));
  return new Map(
    [...grouped.entries()].map(([id, records]) => [id, aggregateReactions(records, viewerId)]),
  );
}
