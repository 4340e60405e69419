// Conversations: creating DIRECT and GROUP chats, listing them, and managing group membership.
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { AppError, notAdmin, notFound, validationError } from '../domain/errors';
import { directConversationId, newObjectId } from '../domain/ids';
import type { Conversation, Participant, Watermark } from '../domain/types';
import type { ConversationDetail, ConversationSummary, PageOf } from '../protocol/rest';
import type { Clock, EventBus, PresenceReader, Store } from '../ports';
import { requireMembership } from './access';
import { applyDirectBlock, refuseDirectIfBlocked } from './block-service';
import { ConversationViews } from './conversation-views';
import { iso } from './views';

export interface CreateConversationInput {
  type: 'DIRECT' | 'GROUP';
  participantIds: string[];
  name?: string | null;
  avatarUrl?: string | null;
}

export interface ConversationServiceDeps {
  store: Store;
  bus: EventBus;
  presence: PresenceReader;
  clock: Clock;
  /** Current participants a group may have, creator included. @default 1000 */
  maxGroupSize?: number;
}

export class ConversationService {
  private readonly views: ConversationViews;

  constructor(private readonly deps: ConversationServiceDeps) {
    this.views = new ConversationViews(deps);
  }

  /** Creates a conversation; a DIRECT one that exists is returned as it is (`created: false`). */
  async create(
    callerId: string,
    input: CreateConversationInput,
  ): Promise<{ conversation: ConversationDetail; created: boolean }> {
    if (input.type === 'DIRECT') {
      const others = [...new Set(input.participantIds)].filter((id) => id !== callerId);
      if (others.length === 0) throw validationError('a direct conversation needs another user');
      if (others.length > 1)
        throw validationError('a direct conversation has exactly one other user');
      return this.getOrCreateDirect(callerId, others[0] as string);
    }
    const name = input.name?.trim();
    if (!name) throw validationError('a group needs a name');
    const memberIds = [...new Set(input.participantIds)].filter((id) => id !== callerId);
    this.requireGroupSize(memberIds.length + 1);
    await this.requireUsers(memberIds);
    const now = this.deps.clock();
    const conversation: Conversation = {
      id: newObjectId(now),
      type: 'GROUP',
      name,
      avatarUrl: input.avatarUrl ?? null,
      createdBy: callerId,
      createdAt: now,
      updatedAt: now,
      lastMessageId: null,
      lastMessageContent: null,
      lastMessageAt: null,
      lastSeq: 0,
      emittedSeq: 0,
    };
    await this.deps.store.insertConversation(conversation);
    // The creator is written first so "oldest member" succession is well-defined.
    await this.deps.store.upsertParticipant(
      this.newParticipant(conversation.id, callerId, 'ADMIN', now, null),
    );
    const joinedAt = new Date(now.getTime() + 1);
    await Promise.all(
      memberIds.map((id) =>
        this.deps.store.upsertParticipant(
          this.newParticipant(conversation.id, id, 'MEMBER', joinedAt, null),
        ),
      ),
    );
    return { conversation: await this.detail(callerId, conversation.id), created: true };
  }

  /** The one DIRECT conversation of a pair: its id is derived from the pair, so racing creators converge. */
  async getOrCreateDirect(
    callerId: string,
    otherUserId: string,
  ): Promise<{ conversation: ConversationDetail; created: boolean }> {
    if (otherUserId === callerId)
      throw validationError('you cannot start a direct conversation with yourself');
    await this.requireUsers([otherUserId]);
    await refuseDirectIfBlocked(this.deps.store, callerId, otherUserId);
    const id = directConversationId(callerId, otherUserId);
    const now = this.deps.clock();
    const created = await this.deps.store.insertConversation({
      id,
      type: 'DIRECT',
      name: null,
      avatarUrl: null,
      createdBy: callerId,
      createdAt: now,
      updatedAt: now,
      lastMessageId: null,
      lastMessageContent: null,
      lastMessageAt: null,
      lastSeq: 0,
      emittedSeq: 0,
    });
    // Idempotent: a racing creator or a crash between the inserts is repaired by the next call.
    await Promise.all(
      [callerId, otherUserId].map((userId) =>
        this.deps.store.upsertParticipant(this.newParticipant(id, userId, 'MEMBER', now, null)),
      ),
    );
    await applyDirectBlock(this.deps.store, id, callerId, otherUserId);
    return { conversation: await this.detail(callerId, id), created };
  }

  async list(
    callerId: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<PageOf<ConversationSummary>> {
    const before = cursor === undefined ? null : decodeCursor(cursor);
    const rows = await this.deps.store.listConversationsOfUser(
      callerId,
      before && { updatedAt: before.createdAt, id: before.id },
      limit + 1,
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const items = await this.views.summaries(callerId, page);
    const last = page[page.length - 1];
    return {
      items,
      hasMore,
      nextCursor: hasMore && last ? encodeCursor({ createdAt: last.updatedAt, id: last.id }) : null,
    };
  }

  async get(callerId: string, conversationId: string): Promise<ConversationDetail> {
    await requireMembership(this.deps.store, conversationId, callerId);
    return this.detail(callerId, conversationId);
  }

  /** ADMIN of a GROUP adds users (re-adding those who left); returns the conversation after it. */
  async addParticipants(
    callerId: string,
    conversationId: string,
    userIds: string[],
  ): Promise<ConversationDetail> {
    const participant = await this.groupMembership(
      callerId,
      conversationId,
      'participants can only be added to a group',
    );
    if (participant.role !== 'ADMIN') throw notAdmin();
    const wanted = [...new Set(userIds)];
    const members = (await this.deps.store.listParticipants(conversationId)).filter(
      (p) => p.leftAt === null,
    );
    const current = new Set(members.map((p) => p.userId));
    // Counted before writing; two admins adding at the same instant may overshoot by one batch.
    this.requireGroupSize(current.size + wanted.filter((id) => !current.has(id)).length);
    await this.requireUsers(wanted);
    // Joined strictly after every current member, even within their millisecond: "oldest member"
    // succession orders by joinedAt, and a tie would fall back to comparing user ids.
    const newestJoin = Math.max(0, ...members.map((p) => p.joinedAt.getTime()));
    const now = new Date(Math.max(this.deps.clock().getTime(), newestJoin + 1));
    const latest = await this.latestWatermark(conversationId);
    const changed = await Promise.all(
      wanted.map((id) =>
        this.deps.store.upsertParticipant(
          this.newParticipant(conversationId, id, 'MEMBER', now, latest),
        ),
      ),
    );
    const added = wanted.filter((_, i) => changed[i]);
    if (added.length > 0) await this.publishMembership(conversationId, callerId, added, []);
    return this.detail(callerId, conversationId);
  }

  /** ADMIN removes anyone; a MEMBER only themself. The last ADMIN leaving promotes the oldest member. */
  async removeParticipant(
    callerId: string,
    conversationId: string,
    userId: string,
  ): Promise<{ conversation_id: string; user_id: string; left_at: string }> {
    const participant = await this.groupMembership(
      callerId,
      conversationId,
      'nobody can leave a direct conversation',
    );
    if (userId !== callerId && participant.role !== 'ADMIN') throw notAdmin();
    const now = this.deps.clock();
    const removed = await this.deps.store.markParticipantLeft(conversationId, userId, now);
    if (!removed) throw notFound('participant');
    await this.ensureAnAdmin(conversationId);
    await this.publishMembership(conversationId, callerId, [], [userId]);
    return { conversation_id: conversationId, user_id: userId, left_at: iso(now) };
  }

  /** The full view of a conversation as `callerId` sees it. */
  detail(callerId: string, conversationId: string): Promise<ConversationDetail> {
    return this.views.detail(callerId, conversationId);
  }

  /** Unread = other users' live messages after the seen watermark; derived, so always exact. */
  unreadCount(participant: Participant): Promise<number> {
    return this.views.unreadCount(participant);
  }

  /** The caller's membership of a conversation that must be a GROUP (else VALIDATION `refusal`). */
  private async groupMembership(
    callerId: string,
    conversationId: string,
    refusal: string,
  ): Promise<Participant> {
    const { conversation, participant } = await requireMembership(
      this.deps.store,
      conversationId,
      callerId,
    );
    if (conversation.type !== 'GROUP') throw validationError(refusal);
    return participant;
  }

  private async ensureAnAdmin(conversationId: string): Promise<void> {
    const current = (await this.deps.store.listParticipants(conversationId)).filter(
      (p) => p.leftAt === null,
    );
    if (current.length === 0 || current.some((p) => p.role === 'ADMIN')) return;
    const oldest = current[0] as Participant; // listParticipants orders by joinedAt
    await this.deps.store.setParticipantRole(conversationId, oldest.userId, 'ADMIN');
  }

  private async latestWatermark(conversationId: string): Promise<Watermark | null> {
    const [latest] = await this.deps.store.listMessagesBefore(conversationId, null, 1);
    return latest ? { messageId: latest.id, seq: latest.seq } : null;
  }

  private newParticipant(
    conversationId: string,
    userId: string,
    role: Participant['role'],
    joinedAt: Date,
    watermark: Watermark | null,
  ): Participant {
    return {
      conversationId,
      userId,
      role,
      joinedAt,
      leftAt: null,
      // History before joining is not "missed": SYNC starts a new member after it.
      joinedSeq: watermark?.seq ?? 0,
      seen: watermark,
      delivered: watermark,
      receiptsAt: null,
      muted: false,
      mutedUntil: null,
      muteChangedAt: null,
    };
  }

  private requireGroupSize(size: number): void {
    const max = this.deps.maxGroupSize ?? 1000;
    if (size > max) throw validationError(`a group has at most ${max} participants`);
  }

  private async requireUsers(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = await this.deps.store.findUsersByIds(ids);
    if (found.length !== ids.length) {
      const known = new Set(found.map((u) => u.id));
      throw new AppError(
        'NOT_FOUND',
        `user not found: ${ids.filter((id) => !known.has(id)).join(', ')}`,
      );
    }
  }

  private publishMembership(
    conversationId: string,
    userId: string,
    added: string[],
    removed: string[],
  ): Promise<void> {
    return this.deps.bus.publish({
      key: 'message.participants',
      payload: {
        conversation_id: conversationId,
        user_id: userId,
        added,
        removed,
        timestamp: iso(this.deps.clock()),
      },
    });
  }
}
