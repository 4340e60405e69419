// Receipts: moving a participant's seen and delivered watermarks forward (by seq), publishing the
// moves, and turning a consumed move into the MESSAGE_STATUS reports its senders are owed.
import { directConversationId } from '../domain/ids';
import { aggregateStatus } from '../domain/receipts';
import type { Message, MessageStatus, Watermark } from '../domain/types';
import type { BusPayload } from '../protocol/events';
import type { ServerPayload } from '../protocol/frames';
import type { SeenResult } from '../protocol/rest';
import type { Clock, DeliveredMove, EventBus, Store, WatermarkMove } from '../ports';
import { requireMembership, requireMessageIn } from './access';
import { Batcher } from './batcher';
import { RecentMessages, type RecentMessage } from './recent-messages';
import { iso } from './views';

/**
 * Most messages one receipt move reports MESSAGE_STATUS for: a reader catching up on thousands
 * at once makes the sender's client infer the older ones from the newest status.
 */
const MAX_STATUS_REPORTS = 100;

/** Pairs whose DIRECT conversation id is remembered at most (~150 bytes each). */
const MAX_REMEMBERED_DIRECT_IDS = 10_000;

/** What a published move says besides where the watermark went. */
interface MoveFlags {
  direct: boolean;
  withSeen?: boolean;
}

/** A MESSAGE_STATUS owed to a sender. */
export interface StatusReport {
  senderId: string;
  frame: ServerPayload<'MESSAGE_STATUS'>;
}

export class ReceiptService {
  /** Per `conversation:user`: the highest acknowledged mark not yet written. */
  private readonly unwritten = new Map<
    string,
    { mark: Watermark; direct: boolean; onError: (err: unknown) => void }
  >();
  /** Pairs whose delivered watermark is being written right now. */
  private readonly writing = new Set<string>();

  private readonly recent: RecentMessages;
  /**
   * Delivered moves of every participant, written many per store command where the store can
   * (group commit: the moves handed in while one batch is written go out in the next).
   */
  private readonly deliveredMoves: Batcher<DeliveredMove, WatermarkMove> | null;
  /** `a:b` (the two user ids, sorted) → their DIRECT conversation's id. */
  private readonly directIds = new Map<string, string>();

  constructor(
    private readonly deps: {
      store: Store;
      bus: EventBus;
      clock: Clock;
      /** What the fan-out emitted lately (default: an empty one of its own). */
      recent?: RecentMessages;
    },
  ) {
    this.recent = deps.recent ?? new RecentMessages();
    const many = deps.store.advanceDeliveredWatermarks?.bind(deps.store);
    this.deliveredMoves = many ? new Batcher((moves) => many(moves)) : null;
  }

  /** advanceWatermark(…, 'delivered', …), through the batch when there is one. */
  private advanceDelivered(
    conversationId: string,
    userId: string,
    to: Watermark,
    at: Date,
  ): Promise<WatermarkMove> {
    if (this.deliveredMoves) return this.deliveredMoves.add({ conversationId, userId, to, at });
    return this.deps.store.advanceWatermark(conversationId, userId, 'delivered', to, at);
  }

  /** The fan-out emitted these messages (in seq order): moves over them need no read. */
  noteEmitted(conversationId: string, messages: readonly Message[]): void {
    this.recent.noteEmitted(conversationId, messages);
  }

  /** The fan-out announced this deletion: no status is reported for the message any more. */
  noteDeleted(conversationId: string, messageId: string, at: Date): void {
    this.recent.noteDeleted(conversationId, messageId, at);
  }

  /**
   * A device acknowledged a NEW_MESSAGE (realtime, the message is known). Acknowledgements of one
   * recipient in one conversation are coalesced: while one move is being written, later ones
   * wait, and only the highest of them is written next (a watermark covers everything below it).
   * `senderId` is the message's: whether the conversation is their DIRECT with the recipient
   * follows from its id, without a read.
   */
  acknowledgeDelivered(
    userId: string,
    conversationId: string,
    mark: Watermark & { senderId: string },
    onError: (err: unknown) => void,
  ): void {
    const key = `${conversationId}:${userId}`;
    const queued = this.unwritten.get(key);
    if (!queued || queued.mark.seq < mark.seq) {
      const direct = this.directIdOf(userId, mark.senderId) === conversationId;
      this.unwritten.set(key, {
        mark: { messageId: mark.messageId, seq: mark.seq },
        direct,
        onError,
      });
    }
    if (!this.writing.has(key)) void this.writeAcknowledged(key, userId, conversationId);
  }

  /**
   * The pair's DIRECT conversation id (a SHA-256 of the two ids), remembered: every acknowledged
   * message asks it again for the same few pairs. Bounded, and simply forgotten when full.
   */
  private directIdOf(a: string, b: string): string {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    let id = this.directIds.get(key);
    if (id === undefined) {
      if (this.directIds.size >= MAX_REMEMBERED_DIRECT_IDS) this.directIds.clear();
      id = directConversationId(a, b);
      this.directIds.set(key, id);
    }
    return id;
  }

  private async writeAcknowledged(key: string, userId: string, conversationId: string) {
    this.writing.add(key);
    try {
      for (let next = this.unwritten.get(key); next; next = this.unwritten.get(key)) {
        this.unwritten.delete(key);
        await this.confirmDelivered(userId, conversationId, next.mark, next.direct).catch(
          next.onError,
        );
      }
    } finally {
      this.writing.delete(key);
    }
  }

  /**
   * Moves the reader's seen watermark forward (an older id is a no-op) and delivered with it.
   * Without a message id, the conversation's latest message is meant.
   */
  async markSeen(
    userId: string,
    conversationId: string,
    messageId: string | undefined,
  ): Promise<SeenResult> {
    const { store } = this.deps;
    const { conversation, participant } = await requireMembership(store, conversationId, userId);
    const direct = conversation.type === 'DIRECT';
    const target = messageId
      ? await requireMessageIn(store, conversationId, messageId, 'invalid')
      : (await store.listMessagesBefore(conversationId, null, 1))[0];
    let move: WatermarkMove = { moved: false, previous: participant.seen };
    let seen = participant.seen;
    if (target) {
      const mark: Watermark = { messageId: target.id, seq: target.seq };
      const now = this.deps.clock();
      move = await store.advanceWatermark(conversationId, userId, 'seen', mark, now);
      // Where the watermark stands now, without reading it back.
      seen = move.moved ? mark : move.previous;
      // Seeing a message implies a device has it; in a group that can make messages DELIVERED.
      const delivered = await this.advanceDelivered(conversationId, userId, mark, now);
      if (delivered.moved)
        await this.publishMove(
          'message.delivered',
          conversationId,
          userId,
          mark,
          delivered.previous,
          { direct, withSeen: true },
        );
    }
    const [unread, unreadMentions] = await Promise.all([
      store.countMessagesAfter(conversationId, seen?.seq ?? 0, userId),
      store.countMentionsAfter(conversationId, seen?.seq ?? 0, userId),
    ]);
    if (move.moved && seen) {
      await this.publishMove('message.seen', conversationId, userId, seen, move.previous, {
        direct,
      });
    }
    return {
      conversation_id: conversationId,
      last_seen_message_id: seen?.messageId ?? null,
      unread_count: unread,
      unread_mention_count: unreadMentions,
    };
  }

  /** A device of `userId` confirmed it has the message; true when the watermark moved. */
  async markDelivered(userId: string, conversationId: string, messageId: string): Promise<boolean> {
    // A raw socket confirms every NEW_MESSAGE this way: one it was just sent needs no reads.
    const known = this.recentDirectMessage(userId, conversationId, messageId);
    if (known) {
      return this.confirmDelivered(
        userId,
        conversationId,
        { messageId: known.id, seq: known.seq },
        true,
      );
    }
    const { store } = this.deps;
    const { conversation } = await requireMembership(store, conversationId, userId);
    const target = await requireMessageIn(store, conversationId, messageId, 'invalid');
    return this.confirmDelivered(
      userId,
      conversationId,
      { messageId: target.id, seq: target.seq },
      conversation.type === 'DIRECT',
    );
  }

  /**
   * The message, when the fan-out emitted it lately in the DIRECT conversation of `userId` and
   * its sender; null otherwise. The conversation's id is derived from the pair, and nobody can
   * leave a DIRECT, so `userId` is a current participant of a conversation that exists and the
   * message is in it: what the reads of markDelivered would establish.
   */
  private recentDirectMessage(
    userId: string,
    conversationId: string,
    messageId: string,
  ): RecentMessage | null {
    const known = this.recent.find(conversationId, messageId);
    if (!known || known.senderId === userId) return null;
    return this.directIdOf(userId, known.senderId) === conversationId ? known : null;
  }

  /**
   * The realtime layer's delivery confirmation (a Socket.IO ack of NEW_MESSAGE): the message is
   * known, so no lookups; a recipient who has left no longer has a record that moves.
   */
  async confirmDelivered(
    userId: string,
    conversationId: string,
    mark: Watermark,
    direct: boolean,
  ): Promise<boolean> {
    const { moved, previous } = await this.advanceDelivered(
      conversationId,
      userId,
      mark,
      this.deps.clock(),
    );
    if (moved)
      await this.publishMove('message.delivered', conversationId, userId, mark, previous, {
        direct,
      });
    return moved;
  }

  /**
   * The MESSAGE_STATUS frames a consumed watermark move makes due: for every message in
   * (previous, seq] sent by someone else whose aggregate status just reached `level`.
   */
  async statusReports(
    move: BusPayload<'message.seen'> | BusPayload<'message.delivered'>,
    level: MessageStatus,
  ): Promise<StatusReport[]> {
    const { store } = this.deps;
    const from = Math.max(move.previous_seq ?? 0, move.seq - MAX_STATUS_REPORTS);
    if (move.direct) {
      // The mover is the only recipient and cannot leave, so each of the other's messages it
      // covers is now at `level` — unless a seen move came with it, which reports them as SEEN
      // (delivered never passes seen otherwise: MARK_SEEN moves both).
      if ('with_seen' in move && move.with_seen) return [];
      const covered = await this.covered(move.conversation_id, from, move.seq);
      return covered
        .filter((m) => m.seq <= move.seq && m.senderId !== move.user_id && m.deletedAt === null)
        .map((m) => ({
          senderId: m.senderId,
          frame: { messageId: m.id, conversationId: m.conversationId, status: level },
        }));
    }
    const [covered, participants] = await Promise.all([
      this.covered(move.conversation_id, from, move.seq),
      store.listParticipants(move.conversation_id),
    ]);
    const reports: StatusReport[] = [];
    // A sender who has left hears nothing more of the conversation, statuses included.
    const current = new Set(participants.filter((p) => p.leftAt === null).map((p) => p.userId));
    for (const m of covered) {
      if (m.seq > move.seq || m.senderId === move.user_id || m.deletedAt !== null) continue;
      if (!current.has(m.senderId)) continue;
      const status = aggregateStatus(m, participants);
      if (status !== level) continue;
      reports.push({
        senderId: m.senderId,
        frame: { messageId: m.id, conversationId: m.conversationId, status },
      });
    }
    return reports;
  }

  /** The messages in (`after`, `upTo`]: from what the fan-out emitted lately, else read. */
  private covered(conversationId: string, after: number, upTo: number): Promise<RecentMessage[]> {
    const recent = this.recent.covering(conversationId, after, upTo);
    if (recent) return Promise.resolve(recent);
    return this.deps.store.listMessagesAfter(conversationId, after, upTo - after);
  }

  private publishMove(
    key: 'message.seen' | 'message.delivered',
    conversationId: string,
    userId: string,
    to: Watermark,
    previous: Watermark | null,
    flags: MoveFlags,
  ): Promise<void> {
    return this.deps.bus.publish({
      key,
      payload: {
        conversation_id: conversationId,
        user_id: userId,
        message_id: to.messageId,
        seq: to.seq,
        previous_message_id: previous?.messageId ?? null,
        previous_seq: previous?.seq ?? null,
        direct: flags.direct,
        ...(flags.withSeen && { with_seen: true }),
        timestamp: iso(this.deps.clock()),
      },
    });
  }
}
