// What the fan-out emitted lately, per conversation. The node consuming a conversation's events
// sees its messages in seq order, and the receipt moves of those messages come through the same
// consumer right after; a move over recent messages is then answered from here instead of a read.
// Only what receipts need is kept (no content), for a bounded number of messages and
// conversations; whatever is not here is read from the store as before.
import type { Message } from '../domain/types';

export type RecentMessage = Pick<
  Message,
  'id' | 'conversationId' | 'seq' | 'senderId' | 'deletedAt'
>;

export class RecentMessages {
  /** Per conversation, messages with consecutive seqs, oldest first; least recently used first. */
  private readonly byConversation = new Map<string, RecentMessage[]>();

  constructor(
    private readonly perConversation = 64,
    private readonly maxConversations = 10_000,
  ) {}

  /** Messages just emitted, in seq order. A gap (a hole passed over) starts the run afresh. */
  noteEmitted(conversationId: string, messages: readonly Message[]): void {
    let run = this.byConversation.get(conversationId) ?? [];
    for (const m of messages) {
      const last = run[run.length - 1];
      if (last && m.seq <= last.seq) continue; // emitted again (a redelivery): known already
      if (last && m.seq !== last.seq + 1) run = [];
      run.push({
        id: m.id,
        conversationId: m.conversationId,
        seq: m.seq,
        senderId: m.senderId,
        deletedAt: m.deletedAt,
      });
    }
    if (run.length > this.perConversation) run = run.slice(run.length - this.perConversation);
    this.byConversation.delete(conversationId);
    this.byConversation.set(conversationId, run);
    if (this.byConversation.size > this.maxConversations) {
      const oldest = this.byConversation.keys().next().value;
      if (oldest !== undefined) this.byConversation.delete(oldest);
    }
  }

  noteDeleted(conversationId: string, messageId: string, at: Date): void {
    const found = this.byConversation.get(conversationId)?.find((m) => m.id === messageId);
    if (found) found.deletedAt = at;
  }

  /** The message with this id if it is among the conversation's recent ones (newest first). */
  find(conversationId: string, messageId: string): RecentMessage | null {
    const run = this.byConversation.get(conversationId);
    if (!run) return null;
    for (let i = run.length - 1; i >= 0; i--) {
      const m = run[i];
      if (m?.id === messageId) return m;
    }
    return null;
  }

  /** The messages with a seq in (`after`, `upTo`], or null unless every one of them is here. */
  covering(conversationId: string, after: number, upTo: number): RecentMessage[] | null {
    const run = this.byConversation.get(conversationId);
    const first = run?.[0];
    const last = run?.[run.length - 1];
    if (!run || !first || !last || first.seq > after + 1 || last.seq < upTo) return null;
    return run.slice(Math.max(0, after + 1 - first.seq), Math.max(0, upTo + 1 - first.seq));
  }
}
