// Messages: send (idempotent per sender+tempId, outbox-backed), read, edit, delete, receipts.
import { decodeSeqCursor, encodeSeqCursor } from '../domain/cursor';
import { AppError, notFound, validationError } from '../domain/errors';
import { idempotentMessageId, newObjectId } from '../domain/ids';
import {
  bodyFingerprint,
  checkEditedContent,
  checkMessageBody,
  deriveMessageType,
  previewOf,
  type MessageLimits,
} from '../domain/message-rules';
import { aggregateStatus } from '../domain/receipts';
import type { MediaItem, Message, Participant, User } from '../domain/types';
import type { MessagePublic, PageOf, ReactionCountPublic } from '../protocol/rest';
import type { AppendResult, Clock, EventBus, MessageDraft, Store } from '../ports';
import { requireMembership, requireMessageIn } from './access';
import { blockedSendError } from './block-service';
import { Batcher } from './batcher';
import { mentionsFor } from './mention-resolver';
import { sentEventPayload, type SenderProfile } from './sent-event';
import { loadReactionViews } from './reaction-service';
import { iso, toMessagePublic } from './views';
import type { Logger } from '../observability/logger';

export interface SendMessageInput {
  content?: string | null;
  media?: MediaItem[] | null;
  replyToMessageId?: string | null;
  tempId?: string | null;
  /** The realtime socket that sent it, if any (excluded from the sender's own fan-out). */
  originSocketId?: string | null;
  /** Users the client mentions explicitly (kept only when they are current participants). */
  mentions?: string[] | null;
}

/** Decides whether a user may send one more message now; throws RATE_LIMITED (with retryAfterMs). */
export interface SendLimiter {
  consume(userId: string): Promise<void>;
}

export interface MessageServiceDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  limits: MessageLimits;
  sendLimiter: SendLimiter;
  /** Holds sends back while delivery is behind; absent: never. */
  backpressure?: { admit(): Promise<void> };
  logger: Logger;
  /** Runs once a deletion is stored and announced (pins: a deleted message is unpinned). */
  onDeleted?: (userId: string, message: Message) => Promise<void>;
}

export interface SendResult {
  message: MessagePublic;
  /** False when a retried tempId returned the original message. */
  created: boolean;
}

interface PendingAppend {
  draft: MessageDraft;
  now: Date;
  preview: string | null;
}

/** Who sends: what the sender's own view of a new message shows of them (no read needed). */
export type Sender = Pick<User, 'id' | 'username' | 'avatarUrl'>;

export class MessageService {
  /** Published events' outbox marks, cleared many per store command. */
  private readonly published: Batcher<string>;
  /** Sends appended together, whatever their conversations (when the store can: `appendMessages`). */
  private readonly appender: Batcher<PendingAppend, AppendResult> | null;
  /** message.sent publishes running after their sends were answered. */
  private readonly inDispatch = new Set<Promise<unknown>>();
  /** Sends past backpressure whose append is running. */
  private appending = 0;
  /** Messages whose message.sent this node is publishing now (the outbox relay leaves them). */
  private readonly dispatchingIds = new Set<string>();

  constructor(private readonly deps: MessageServiceDeps) {
    this.published = new Batcher(async (ids) => {
      await deps.store.clearPendingMessageEvents(ids);
      return undefined;
    });
    const appendMessages = deps.store.appendMessages?.bind(deps.store);
    this.appender = appendMessages
      ? new Batcher((items) =>
          appendMessages(
            items.map((p) => p.draft),
            // The batch's time: the latest of its sends' clocks.
            new Date(Math.max(...items.map((p) => p.now.getTime()))),
            items.map((p) => p.preview),
          ),
        )
      : null;
  }

  /**
   * A new message's one store command is its append, which also checks the sender's membership
   * (reads happen only on the exceptional paths: a refusal, a retry, a reply). Errors come in the
   * order a reader checking step by step would see them: membership, body, idempotency, reply,
   * rate limit.
   */
  async send(sender: Sender, conversationId: string, input: SendMessageInput): Promise<SendResult> {
    const { store, clock, limits } = this.deps;
    const tempId = input.tempId ?? null;
    const membership = () => requireMembership(store, conversationId, sender.id);
    let body: ReturnType<typeof checkMessageBody>;
    try {
      body = checkMessageBody(input.content, input.media ?? [], limits);
    } catch (err) {
      await membership();
      throw err;
    }
    const replyTo = input.replyToMessageId ?? null;
    const explicitMentions = [...new Set(input.mentions ?? [])];
    const bodyHash =
      tempId === null ? null : bodyFingerprint(conversationId, body, replyTo, explicitMentions);
    if (replyTo) {
      await membership();
      const retried = await this.findRetry(sender.id, tempId, bodyHash);
      if (retried) return { message: await this.view(retried), created: false };
      await requireMessageIn(store, conversationId, replyTo, 'invalid');
    }
    try {
      await this.deps.sendLimiter.consume(sender.id);
    } catch (err) {
      // A retry is answered even once the limit bites; a non-member still hears that first.
      await membership();
      const retried = await this.findRetry(sender.id, tempId, bodyHash);
      if (retried) return { message: await this.view(retried), created: false };
      throw err;
    }

    await this.deps.backpressure?.admit();
    const id = tempId === null ? newObjectId(clock()) : idempotentMessageId(sender.id, tempId);
    const type = deriveMessageType(body.content, body.media);
    // A read only when the message could mention someone (an "@" or explicit ids).
    const mentions = await mentionsFor(
      store,
      conversationId,
      sender.id,
      body.content,
      explicitMentions,
    );
    // One write checks membership, takes the seq and stores the message with its pending
    // message.sent event (the outbox).
    const appended = await this.appendAdmitted(
      {
        id,
        conversationId,
        senderId: sender.id,
        content: body.content,
        type,
        media: body.media,
        replyToMessageId: replyTo,
        tempId,
        bodyHash,
        updatedAt: null,
        deletedAt: null,
        originSocketId: input.originSocketId ?? null,
        mentions,
      },
      clock(),
      previewOf(body.content, type),
    );
    if (appended.kind === 'refused') {
      await membership();
      // Joined between the append and the check: as if the send came a moment earlier.
      throw new AppError('CONFLICT', 'membership changed during the send; retry it');
    }
    if (appended.kind === 'blocked') throw await blockedSendError(store, conversationId, sender.id);
    if (appended.kind === 'duplicate') {
      // A retry, or a concurrent send with the same tempId won.
      const original = await this.findRetry(sender.id, tempId, bodyHash);
      if (!original) throw new AppError('CONFLICT', 'message id collision');
      return { message: await this.view(original), created: false };
    }
    const { message, participantIds } = appended;
    // Durable now, its event included (the outbox): the answer does not wait for the broker's
    // confirm, and a publish that fails is the relay's to redo.
    this.dispatchInBackground(message, input.originSocketId ?? null, { sender, participantIds });
    // Nobody has it yet: SENT, whatever the conversation's watermarks say of older messages.
    return { message: toMessagePublic(message, sender, 'SENT'), created: true };
  }

  /**
   * The append of one send: batched with the other sends that arrive while a batch is being
   * written, whatever their conversations (one statement and one commit for all of them), where
   * the store supports it.
   */
  private append(draft: MessageDraft, now: Date, preview: string | null): Promise<AppendResult> {
    if (!this.appender) return this.deps.store.appendMessage(draft, now, preview);
    return this.appender.add({ draft, now, preview });
  }

  /**
   * Sends this node let past backpressure whose events are not with the broker yet: being
   * written, or published and not yet confirmed (or their outbox mark not yet cleared).
   */
  dispatching(): number {
    return this.appending + this.inDispatch.size;
  }

  /**
   * append(), counted in dispatching() while it runs: sends admitted together then see each
   * other at once, not only once the bus's backlog is next measured. A stored message passes
   * straight on to dispatchInBackground (no await in between), which counts it from there.
   */
  private async appendAdmitted(
    draft: MessageDraft,
    now: Date,
    preview: string | null,
  ): Promise<AppendResult> {
    this.appending++;
    try {
      return await this.append(draft, now, preview);
    } finally {
      this.appending--;
    }
  }

  /** Whether this node is publishing the message's message.sent at this moment. */
  isDispatching(messageId: string): boolean {
    return this.dispatchingIds.has(messageId);
  }

  /** Resolves once every publish started so far has finished (drain waits for it). */
  async dispatched(): Promise<void> {
    while (this.inDispatch.size > 0) await Promise.allSettled([...this.inDispatch]);
  }

  private dispatchInBackground(
    message: Message,
    originSocketId: string | null,
    audience: { sender: SenderProfile; participantIds: string[] },
  ): void {
    const run: Promise<unknown> = this.dispatchSent(message, originSocketId, audience).finally(() =>
      this.inDispatch.delete(run),
    );
    this.inDispatch.add(run);
  }

  /**
   * Publishes a stored message's `message.sent` event and clears its outbox mark; false when it
   * did not get through. A failure is logged, not thrown: the message is durable and the outbox
   * relay publishes it later.
   */
  async dispatchSent(
    message: Message,
    originSocketId: string | null = null,
    audience?: { sender: SenderProfile; participantIds: string[] },
  ): Promise<boolean> {
    this.dispatchingIds.add(message.id);
    try {
      await this.deps.bus.publish({
        key: 'message.sent',
        payload: sentEventPayload(message, originSocketId, this.deps.clock(), audience),
      });
      await this.published.add(message.id);
      return true;
    } catch (err) {
      this.deps.logger.warn(
        { err, messageId: message.id },
        'message.sent publish deferred to the outbox relay',
      );
      return false;
    } finally {
      this.dispatchingIds.delete(message.id);
    }
  }

  async list(
    userId: string,
    conversationId: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<PageOf<MessagePublic>> {
    const before = cursor === undefined ? null : decodeSeqCursor(cursor);
    await requireMembership(this.deps.store, conversationId, userId);
    const rows = await this.deps.store.listMessagesBefore(conversationId, before, limit + 1);
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const oldest = page[page.length - 1];
    const items = (await this.views(conversationId, page, undefined, userId)).reverse();
    return {
      items,
      hasMore,
      nextCursor: hasMore && oldest ? encodeSeqCursor(oldest.seq) : null,
    };
  }

  /** Sender only. */
  async edit(
    userId: string,
    conversationId: string,
    messageId: string,
    content: string,
    explicitMentions?: string[] | null,
  ): Promise<MessagePublic> {
    const { store, clock, limits } = this.deps;
    await requireMembership(store, conversationId, userId);
    const message = await requireMessageIn(store, conversationId, messageId, 'not-found');
    if (message.senderId !== userId)
      throw new AppError('FORBIDDEN', 'only the sender can edit a message');
    if (message.deletedAt !== null) throw validationError('a deleted message cannot be edited');
    const text = checkEditedContent(content, limits);
    // Re-resolved, so an edit that adds an "@" mentions; without explicit ids, those it had stay.
    const mentions = await mentionsFor(store, conversationId, userId, text, [
      ...new Set(explicitMentions ?? message.mentions),
    ]);
    const now = clock();
    const updated = await store.updateMessage(messageId, {
      content: text,
      type: deriveMessageType(text, message.media),
      updatedAt: now,
      changedAt: now,
      mentions,
    });
    if (!updated) throw notFound('message');
    await store.replaceLastMessagePreview(conversationId, messageId, previewOf(text, updated.type));
    await this.publishChange('message.updated', updated, userId);
    return this.view(updated, undefined, userId);
  }

  /** Sender, or an admin of a GROUP: soft delete; reads keep the message but hide its content. */
  async remove(userId: string, conversationId: string, messageId: string): Promise<MessagePublic> {
    const { store, clock } = this.deps;
    const { conversation, participant } = await requireMembership(store, conversationId, userId);
    const message = await requireMessageIn(store, conversationId, messageId, 'not-found');
    const isGroupAdmin = conversation.type === 'GROUP' && participant.role === 'ADMIN';
    if (message.senderId !== userId && !isGroupAdmin) {
      throw new AppError('FORBIDDEN', 'only the sender or a group admin can delete a message');
    }
    if (message.deletedAt !== null) return this.view(message);
    const now = clock();
    const deleted = await store.updateMessage(messageId, {
      content: null,
      media: [],
      deletedAt: now,
      changedAt: now,
    });
    if (!deleted) throw notFound('message');
    await store.replaceLastMessagePreview(conversationId, messageId, null);
    await this.publishChange('message.deleted', deleted, userId);
    await this.deps.onDeleted?.(userId, deleted);
    return this.view(deleted);
  }

  /** A message as the wire shows it, with its current aggregate status. */
  async view(
    message: Message,
    participants?: Participant[],
    viewerId?: string,
  ): Promise<MessagePublic> {
    const [view] = await this.views(message.conversationId, [message], participants, viewerId);
    return view as MessagePublic;
  }

  /**
   * Wire views of messages of one conversation, statuses computed from one participant read;
   * with a `viewerId`, their reactions as that user sees them, from one reactions read.
   */
  async views(
    conversationId: string,
    messages: Message[],
    knownParticipants?: Participant[],
    viewerId?: string,
  ): Promise<MessagePublic[]> {
    if (messages.length === 0) return [];
    const { store } = this.deps;
    const [participants, users, reactions] = await Promise.all([
      knownParticipants ?? store.listParticipants(conversationId),
      store.findUsersByIds([...new Set(messages.map((m) => m.senderId))]),
      viewerId === undefined
        ? new Map<string, ReactionCountPublic[]>()
        : loadReactionViews(store, messages, viewerId),
    ]);
    const byId = new Map<string, User>(users.map((u) => [u.id, u]));
    return messages.map((m) =>
      toMessagePublic(
        m,
        byId.get(m.senderId),
        aggregateStatus(m, participants),
        reactions.get(m.id) ?? [],
      ),
    );
  }

  /**
   * The message an earlier send with this tempId created, or null. The same key with another
   * body (or conversation) is not a retry: IDEMPOTENCY_CONFLICT.
   */
  private async findRetry(
    senderId: string,
    tempId: string | null,
    bodyHash: string | null,
  ): Promise<Message | null> {
    if (tempId === null) return null;
    const existing = await this.deps.store.findMessage(idempotentMessageId(senderId, tempId));
    if (!existing) return null;
    if (existing.senderId !== senderId || existing.bodyHash !== bodyHash) {
      throw new AppError(
        'IDEMPOTENCY_CONFLICT',
        'this tempId was already used for a different message',
      );
    }
    return existing;
  }

  private publishChange(
    key: 'message.updated' | 'message.deleted',
    m: Message,
    userId: string,
  ): Promise<void> {
    return this.deps.bus.publish({
      key,
      payload: {
        message_id: m.id,
        conversation_id: m.conversationId,
        seq: m.seq,
        user_id: userId,
        timestamp: iso(this.deps.clock()),
      },
    });
  }
}
