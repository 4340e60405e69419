// How the embedded store keeps reactions: one record per (message, user, emoji), by derived id,
// with a per-message index for views and tombstones for SYNC.
import { reactionId } from '../../../domain/ids';
import type { Reaction } from '../../../domain/types';
import type { ReactionKey, ReactionStore } from '../../../ports';
import { copy } from './memory-state';

export class MemoryReactions implements ReactionStore {
  readonly #byId = new Map<string, Reaction>();
  /** message id → ids of its reaction records (removed ones included) */
  readonly #byMessage = new Map<string, Set<string>>();

  addReaction(key: ReactionKey, at: Date): Promise<boolean> {
    const id = reactionId(key.messageId, key.userId, key.emoji);
    const existing = this.#byId.get(id);
    if (existing && existing.removedAt === null) return Promise.resolve(false);
    this.#byId.set(id, {
      id,
      ...key,
      createdAt: new Date(at),
      changedAt: new Date(at),
      removedAt: null,
    });
    const ids = this.#byMessage.get(key.messageId) ?? new Set<string>();
    ids.add(id);
    this.#byMessage.set(key.messageId, ids);
    return Promise.resolve(true);
  }

  removeReaction(key: ReactionKey, at: Date): Promise<boolean> {
    const existing = this.#byId.get(reactionId(key.messageId, key.userId, key.emoji));
    if (!existing || existing.removedAt !== null) return Promise.resolve(false);
    existing.removedAt = new Date(at);
    existing.changedAt = new Date(at);
    return Promise.resolve(true);
  }

  listReactionsOfMessages(messageIds: readonly string[]): Promise<Reaction[]> {
    const found = [...new Set(messageIds)]
      .flatMap((m) => [...(this.#byMessage.get(m) ?? [])])
      .map((id) => this.#byId.get(id))
      .filter((r): r is Reaction => r !== undefined && r.removedAt === null);
    return Promise.resolve(found.map(copy));
  }

  listReactionChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Reaction[]> {
    const wanted = new Set(conversationIds);
    const changed = [...this.#byId.values()]
      .filter((r) => wanted.has(r.conversationId) && r.changedAt.getTime() > since.getTime())
      .sort((a, b) => a.changedAt.getTime() - b.changedAt.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
    return Promise.resolve(changed.map(copy));
  }
}
