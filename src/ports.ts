// The ports the application needs; adapters implement them, services only see these.
import type { BusEvent } from './protocol/events';
import type { MessageCreatedWebhook } from './protocol/webhooks';
import type { WebhookAttemptResult } from './domain/webhooks';
import type { OrderKey } from './domain/ordering';
import type { Pin } from './domain/pins';
import type {
  Block,
  Conversation,
  Message,
  Participant,
  ParticipantRole,
  Reaction,
  User,
  Watermark,
} from './domain/types';

/** An edit or a soft delete; `changedAt` always moves (it feeds SYNC). */
export interface MessagePatch {
  content?: string | null;
  media?: Message['media'];
  type?: Message['type'];
  updatedAt?: Date;
  deletedAt?: Date;
  changedAt: Date;
  /** An edit re-resolves who the message mentions. */
  mentions?: string[];
}

/** A delivered watermark move, as one of a batch (ParticipantStore.advanceDeliveredWatermarks). */
export interface DeliveredMove {
  conversationId: string;
  userId: string;
  to: Watermark;
  at: Date;
}

export interface WatermarkMove {
  moved: boolean;
  previous: Watermark | null;
}

/** A mute as it is set: `until` null means until undone; only a mute (`muted`) has an end. */
export interface MuteSetting {
  muted: boolean;
  until: Date | null;
}

/** How far live delivery has emitted a conversation (batched: one command for many). */
export interface EmittedMark {
  conversationId: string;
  seq: number;
}

/** A conversation-list position: conversations sort by (updatedAt, id) descending. */
export interface ActivityKey {
  updatedAt: Date;
  id: string;
}

/** What a send reserves on its conversation before the message is written. */
export interface SeqReservation {
  seq: number;
  /** The message's createdAt: never earlier than that of a lower seq in the conversation. */
  at: Date;
}

/** The preview a send writes onto its conversation together with the seq reservation. */
export interface LastMessagePreview {
  messageId: string;
  content: string | null;
}

/** A SYNC position kept server-side, so clients hold one short opaque cursor. */
export interface SyncCursorRecord {
  id: string;
  userId: string;
  /** conversation id → highest seq the holder has. */
  positions: Record<string, number>;
  /** Edits, deletions, receipts and membership changes after this instant are still to come. */
  changesSince: Date;
  createdAt: Date;
  expiresAt: Date;
}

/*
 * Persistence, split by aggregate; every adapter implements all of it (`Store`). Every method
 * returns plain objects (never driver documents). Inserts that can collide return false instead
 * of throwing, and collide on `_id`: ids of naturally unique records are derived from their key
 * (domain/ids.ts), so no unique secondary index and no multi-document transaction is needed.
 * Transient failures surface as the domain's UnavailableError.
 */

export interface UserStore {
  /** Inserts a user; false when the id (hence the username) is taken. */
  insertUser(user: User): Promise<boolean>;
  findUserById(id: string): Promise<User | null>;
  findUsersByIds(ids: readonly string[]): Promise<User[]>;
  /** Case-insensitive substring match on username, literal text (no pattern syntax), by username. */
  searchUsers(text: string, excludeUserId: string, limit: number): Promise<User[]>;
  setUserLastActive(id: string, at: Date): Promise<void>;
}

export interface ConversationStore {
  /** Inserts a conversation; false when the id exists (a DIRECT pair created twice). */
  insertConversation(conversation: Conversation): Promise<boolean>;
  findConversation(id: string): Promise<Conversation | null>;
  /**
   * One atomic update of the conversation: takes the next seq, stamps `at = max(now, the
   * previous reservation's at)`, and makes `preview` the last message (activity moves to `at`).
   * Null when the conversation does not exist. A crash after it leaves an unused seq (a hole).
   */
  reserveMessageSeq(
    conversationId: string,
    now: Date,
    preview: LastMessagePreview,
  ): Promise<SeqReservation | null>;
  /** Moves the conversation's emitted position forward to `seq` (never back). */
  recordEmittedSeqs(marks: readonly EmittedMark[]): Promise<void>;
  /** Replaces the preview text when `messageId` is still the conversation's last message. */
  replaceLastMessagePreview(
    conversationId: string,
    messageId: string,
    content: string | null,
  ): Promise<void>;
  /** Conversations the user currently takes part in, newest activity first, after `before`. */
  listConversationsOfUser(
    userId: string,
    before: ActivityKey | null,
    limit: number,
  ): Promise<Conversation[]>;
}

export interface ParticipantStore {
  /**
   * Adds a participant, or re-joins one who left (role, joinedAt, joinedSeq and watermarks are
   * reset to the given values). A current participant is left unchanged. True when it changed.
   */
  upsertParticipant(participant: Participant): Promise<boolean>;
  findParticipant(conversationId: string, userId: string): Promise<Participant | null>;
  /** Every participant record of the conversation, including those who left, by joinedAt. */
  listParticipants(conversationId: string): Promise<Participant[]>;
  /** Marks a current participant as left; false when they were not a current participant. */
  markParticipantLeft(conversationId: string, userId: string, at: Date): Promise<boolean>;
  setParticipantRole(conversationId: string, userId: string, role: ParticipantRole): Promise<void>;
  /**
   * Moves a current participant's watermark forward only (by seq), atomically, stamping
   * `receiptsAt` with `at`; one who left is not moved.
   * `previous` is where it stood just before this move (read in the same operation), so
   * concurrent moves report disjoint ranges.
   */
  advanceWatermark(
    conversationId: string,
    userId: string,
    kind: 'seen' | 'delivered',
    to: Watermark,
    at: Date,
  ): Promise<WatermarkMove>;
  /**
   * Several delivered moves (of different participants) as one write, each as
   * `advanceWatermark(…, 'delivered', …)` would make it; results in the moves' order. Of several
   * moves of one participant, the highest acts first and the others after it (not moved).
   * Stores that cannot do better than one by one leave it out; moves are then written singly.
   */
  advanceDeliveredWatermarks?(moves: readonly DeliveredMove[]): Promise<WatermarkMove[]>;
  /** Participants of these conversations whose watermarks moved after `since`, oldest first. */
  listReceiptsChangedSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Participant[]>;
  /** Records of these conversations that joined or left after `since`, oldest change first. */
  listMembershipChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Participant[]>;
  /** The user's own records of conversations they left after `since`. */
  listConversationsLeftSince(userId: string, since: Date): Promise<Participant[]>;
  /**
   * Sets or undoes a current participant's mute (`until` null: until undone; always null when
   * `muted` is false), stamping `muteChangedAt` with `at`. False when they are not a current
   * participant (nothing changes then).
   */
  setParticipantMute(
    conversationId: string,
    userId: string,
    mute: MuteSetting,
    at: Date,
  ): Promise<boolean>;
  /** The user's current records whose mute was set or undone after `since`, oldest change first. */
  listMuteChangesSince(userId: string, since: Date): Promise<Participant[]>;
}

/** A message as a send writes it, before the store gives it its place (seq and time). */
export type MessageDraft = Omit<Message, 'seq' | 'createdAt' | 'changedAt'>;

export type AppendResult =
  | {
      kind: 'appended';
      message: Message;
      /**
       * Who the message is for, read in the same step: the current participants who joined
       * before its seq (the sender among them), so the fan-out need not read them again.
       */
      participantIds: string[];
    }
  /** The id exists already: a retried (or concurrently repeated) tempId. */
  | { kind: 'duplicate' }
  /** No such conversation, or the sender is not a current participant of it. */
  | { kind: 'refused' }
  /** The sender is a current participant of a DIRECT whose pair has a block (nothing stored). */
  | { kind: 'blocked' };

export interface MessageStore {
  /**
   * The send path's one write, and its only store command: when the sender is a current
   * participant (checked in the same step), takes the conversation's next seq (as `reserveMessageSeq`, with
   * the draft as the last message and `previewContent` its preview) and stores the message at it,
   * with its `message.sent` event pending (the outbox); createdAt = changedAt = the reservation's
   * `at`. Where the database can, this is one atomic step (PostgreSQL: one statement, so a
   * duplicate or a crash consumes no seq); where it cannot (MongoDB, no multi-document
   * transactions), a crash between the two single-document writes, or a duplicate, leaves an
   * unused seq (a hole), which delivery and SYNC already handle.
   */
  appendMessage(
    draft: MessageDraft,
    now: Date,
    previewContent: string | null,
  ): Promise<AppendResult>;
  /**
   * Several drafts, of one conversation or of many, as one write (group commit), each as
   * `appendMessage` would append it, in order (a conversation's drafts take its next seqs in
   * the order given); results in the drafts' order. Stores that cannot do better than one by
   * one leave it out, and sends are then appended one by one.
   */
  appendMessages?(
    drafts: readonly MessageDraft[],
    now: Date,
    previews: readonly (string | null)[],
  ): Promise<AppendResult[]>;
  /** Inserts a message with its `message.sent` event pending (the outbox); false when the id exists. */
  insertMessage(message: Message): Promise<boolean>;
  findMessage(id: string): Promise<Message | null>;
  /** Up to `limit` messages with seq below `beforeSeq` (or the newest), newest first. */
  listMessagesBefore(
    conversationId: string,
    beforeSeq: number | null,
    limit: number,
  ): Promise<Message[]>;
  /** Up to `limit` messages with seq above `afterSeq`, in seq order. */
  listMessagesAfter(conversationId: string, afterSeq: number, limit: number): Promise<Message[]>;
  /** Messages with seq above `afterSeq` not sent by `excludeSenderId` and not deleted. */
  countMessagesAfter(
    conversationId: string,
    afterSeq: number,
    excludeSenderId: string,
  ): Promise<number>;
  /**
   * Messages with seq above `afterSeq` that mention `userId`, not sent by them and not deleted:
   * the participant's unread mentions, counted (indexed) rather than kept as a counter.
   */
  countMentionsAfter(conversationId: string, afterSeq: number, userId: string): Promise<number>;
  /** Applies an edit or a soft delete and bumps changedAt; returns the message after it. */
  updateMessage(id: string, patch: MessagePatch): Promise<Message | null>;
  /** Edited or deleted messages of these conversations changed strictly after `after`, oldest first. */
  listMessageEditsSince(
    conversationIds: readonly string[],
    after: OrderKey,
    limit: number,
  ): Promise<Message[]>;

  /** Messages whose `message.sent` event is still pending and was created before `createdBefore`. */
  listPendingMessageEvents(createdBefore: Date, limit: number): Promise<Message[]>;
  /**
   * Claims a pending event for republishing until `until`, unless another relay holds an
   * unexpired claim (compare-and-set on the one document). Only the claimer republishes.
   */
  claimPendingMessageEvent(messageId: string, now: Date, until: Date): Promise<boolean>;
  /** Records that the message's `message.sent` event reached the broker. */
  /** Clears the pending marks of several messages in one command (published events, batched). */
  clearPendingMessageEvents(messageIds: readonly string[]): Promise<void>;
  /** How many messages' `message.sent` events are pending now, of any age (the outbox gauge). */
  countPendingMessageEvents(): Promise<number>;
}

/** Message search (docs/PROTOCOL.md §5.14); each store uses its database's own text search. */
export interface MessageSearchStore {
  /**
   * Up to `limit` live (not deleted) messages of these conversations whose content has every
   * term as a word (terms are lowercased words: domain/message-search.ts), strictly before
   * `before` in (createdAt, id) order (null: from the newest), newest first.
   */
  searchMessages(
    conversationIds: readonly string[],
    terms: readonly string[],
    before: OrderKey | null,
    limit: number,
  ): Promise<Message[]>;
}

export interface SyncCursorStore {
  saveSyncCursor(cursor: SyncCursorRecord): Promise<void>;
  /** The cursor, or null when unknown or expired. */
  findSyncCursor(id: string, now: Date): Promise<SyncCursorRecord | null>;
  /**
   * Optional: every change list a SYNC reads, in one round trip — each list exactly what its
   * own method (named beside it in SyncChanges) returns for the query. A store without it is
   * read list by list (app/sync-changes.ts).
   */
  listSyncChanges?(query: SyncChangesQuery): Promise<SyncChanges>;
}

/** What a SYNC reads of the changes after its cursor was issued. */
export interface SyncChangesQuery {
  userId: string;
  /** The user's current conversations. */
  conversationIds: readonly string[];
  since: Date;
  /** Edits after this key (listMessageEditsSince). */
  editsAfter: OrderKey;
  limits: {
    edits: number;
    receipts: number;
    memberships: number;
    pins: number;
    reactions: number;
  };
}

export interface SyncChanges {
  /** listMessageEditsSince(conversationIds, editsAfter, limits.edits) */
  edits: Message[];
  /** listReceiptsChangedSince(conversationIds, since, limits.receipts) */
  receipts: Participant[];
  /** listMembershipChangesSince(conversationIds, since, limits.memberships) */
  memberships: Participant[];
  /** listConversationsLeftSince(userId, since) */
  left: Participant[];
  /** listMuteChangesSince(userId, since) */
  mutes: Participant[];
  /** listPinChangesSince(conversationIds, since, limits.pins) */
  pins: Pin[];
  /** listReactionChangesSince(conversationIds, since, limits.reactions) */
  reactions: Reaction[];
}

/** Pins of messages; unpinned records stay as tombstones (SYNC reports the unpin). */
export interface PinStore {
  /**
   * Pins the message (a new record, or a tombstone pinned again); false when it is pinned
   * already (the first pin's pinnedBy/pinnedAt stay).
   */
  pinMessage(pin: Pin): Promise<boolean>;
  /** Turns a pinned record into a tombstone; false when it was not pinned. */
  unpinMessage(
    conversationId: string,
    messageId: string,
    userId: string,
    at: Date,
  ): Promise<boolean>;
  findPin(conversationId: string, messageId: string): Promise<Pin | null>;
  /** Up to `limit` pinned (not unpinned) records of the conversation, newest pin first. */
  listPins(conversationId: string, limit: number): Promise<Pin[]>;
  /** Records of these conversations pinned or unpinned after `since`, oldest change first. */
  listPinChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Pin[]>;
}

/** A page position in a user's blocks: newest first, by (blockedAt, id) descending. */
export interface BlockKey {
  blockedAt: Date;
  id: string;
}

/**
 * Blocks between users. The send path does not read them: a block is mirrored onto both
 * participant records of the pair's DIRECT (`Participant.blocked`), which appendMessage's
 * membership check already reads, so a blocked send costs no extra command.
 */
export interface BlockStore {
  /** Inserts a block (its id derived from the pair, blockId); false when it exists. */
  insertBlock(block: Block): Promise<boolean>;
  /** Removes the block of `blockerId` on `blockedId`; false when there was none. */
  deleteBlock(blockerId: string, blockedId: string): Promise<boolean>;
  findBlock(blockerId: string, blockedId: string): Promise<Block | null>;
  /** The blocks `blockerId` made, newest first, strictly after `before`. */
  listBlocksByBlocker(blockerId: string, before: BlockKey | null, limit: number): Promise<Block[]>;
  /** Up to `limit` ids of the users who block `blockedId` (user search leaves them out). */
  listBlockerIds(blockedId: string, limit: number): Promise<string[]>;
  /** Marks or clears `blocked` on every participant record of the conversation (a DIRECT: two). */
  setConversationBlocked(conversationId: string, blocked: boolean): Promise<void>;
}

/** The key of a reaction as a react or an unreact names it. */
export interface ReactionKey {
  messageId: string;
  conversationId: string;
  /** The message's seq, stored with the reaction. */
  messageSeq: number;
  userId: string;
  emoji: string;
}

export interface ReactionStore {
  /**
   * Adds the reaction (id derived from its key), or revives a removed one (createdAt = changedAt =
   * `at`, removedAt null). False when it is in place already (nothing changes then).
   */
  addReaction(key: ReactionKey, at: Date): Promise<boolean>;
  /** Marks a reaction in place as removed (a tombstone, changedAt = `at`); false when there is none. */
  removeReaction(key: ReactionKey, at: Date): Promise<boolean>;
  /** The reactions in place (not removed) on these messages, in one command. */
  listReactionsOfMessages(messageIds: readonly string[]): Promise<Reaction[]>;
  /** Reactions of these conversations added or removed after `since`, oldest change first. */
  listReactionChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Reaction[]>;
}

export interface Store
  extends
    UserStore,
    ConversationStore,
    ParticipantStore,
    MessageStore,
    SyncCursorStore,
    MessageSearchStore,
    PinStore,
    BlockStore,
    ReactionStore {
  /** Checks the store answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Hashes and checks passwords with a slow KDF. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

export type Clock = () => Date;

/**
 * The event bus. `publish` resolves once the event is durable (broker-confirmed for a broker
 * bus); `subscribe` registers the handler this node runs for consumed events — an event is
 * acknowledged only after the handler resolves. The broker bus takes one handler (other
 * consumers bind queues of their own to `message_events`); the in-process bus takes several,
 * each run and retried on its own.
 */
export interface EventBus {
  /**
   * Events published and not yet taken by a consumer, as last measured (cheap, and possibly a
   * moment old): what the send path's backpressure looks at. Absent: never behind.
   */
  backlog?(): number;
  publish(event: BusEvent): Promise<void>;
  subscribe(handler: (event: BusEvent) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** Who is online, as far as the realtime layer knows. */
export interface PresenceReader {
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
}

/**
 * Presence: the realtime layer records each connected socket of a user. A node that dies without
 * cleaning up must not leave its users online for long (see RedisPresence's node heartbeat).
 */
export interface Presence extends PresenceReader {
  addSocket(userId: string, socketId: string): Promise<void>;
  removeSocket(userId: string, socketId: string): Promise<void>;
  /** Whether the backing service is reachable (readiness). */
  isReady(): boolean;
  /** Forgets this node's sockets and stops background work. */
  close(): Promise<void>;
}

/** Ephemeral signals that go straight to users' rooms, never through a durable queue. */
export interface EphemeralSignals {
  typing(
    recipientUserIds: readonly string[],
    signal: { conversationId: string; userId: string; username: string },
  ): void;
}

/** Sends one webhook attempt (docs/PROTOCOL.md §5.16): signed now, answered or failed within its timeout. */
export interface WebhookSender {
  /** Never rejects: a network error or a timeout is a `retryable` result. */
  send(notification: MessageCreatedWebhook): Promise<WebhookAttemptResult>;
}

/**
 * Where `message.created` notifications wait for their attempts: it takes `message.sent` events,
 * has the notifier decide who to notify, and retries with backoff until delivered or given up.
 */
export interface WebhookQueue {
  /** Starts taking events. */
  start(): Promise<void>;
  /**
   * Stops taking events and lets attempts in flight finish. Retries not yet due stay in the
   * broker (durable) or are dropped, and logged (in-process).
   */
  close(): Promise<void>;
}
