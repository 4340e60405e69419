// Builders for domain records with unique ids, so tests never need to wipe a store.
import { newObjectId } from '../../src/domain/ids';
import type { Conversation, Message, Participant, User } from '../../src/domain/types';
import type { MessageDraft } from '../../src/ports';
import type { MessageCreatedWebhook } from '../../src/protocol/webhooks';

let seq = 0;
export const uniqueName = (prefix = 'user'): string =>
  `${prefix}_${Date.now().toString(36)}_${(seq++).toString(36)}_${Math.random().toString(36).slice(2, 6)}`;

export const aUser = (over: Partial<User> = {}): User => ({
  id: newObjectId(),
  username: uniqueName(),
  avatarUrl: null,
  passwordHash: null,
  createdAt: new Date(),
  lastActiveAt: null,
  ...over,
});

export const aConversation = (over: Partial<Conversation> = {}): Conversation => {
  const now = new Date();
  return {
    id: newObjectId(),
    type: 'GROUP',
    name: 'group',
    avatarUrl: null,
    createdBy: null,
    createdAt: now,
    updatedAt: now,
    lastMessageId: null,
    lastMessageContent: null,
    lastMessageAt: null,
    lastSeq: 0,
    emittedSeq: 0,
    ...over,
  };
};

export const aParticipant = (
  conversationId: string,
  userId: string,
  over: Partial<Participant> = {},
): Participant => ({
  conversationId,
  userId,
  role: 'MEMBER',
  joinedAt: new Date(),
  leftAt: null,
  joinedSeq: 0,
  seen: null,
  delivered: null,
  receiptsAt: null,
  muted: false,
  mutedUntil: null,
  muteChangedAt: null,
  ...over,
});

/** Seqs for messages built without one: increasing, so timelines built in order stay in order. */
let messageSeq = 0;

export const aMessage = (
  conversationId: string,
  senderId: string,
  over: Partial<Message> = {},
): Message => {
  const createdAt = over.createdAt ?? new Date();
  return {
    id: newObjectId(),
    conversationId,
    seq: ++messageSeq,
    senderId,
    content: 'hello',
    type: 'TEXT',
    media: [],
    replyToMessageId: null,
    tempId: null,
    bodyHash: null,
    createdAt,
    updatedAt: null,
    deletedAt: null,
    changedAt: createdAt,
    originSocketId: null,
    mentions: [],
    ...over,
  };
};

/** A message as a send hands it to `appendMessage`: the store gives it seq and time. */
export const aMessageDraft = (
  conversationId: string,
  senderId: string,
  over: Partial<MessageDraft> = {},
): MessageDraft => ({
  id: newObjectId(),
  conversationId,
  senderId,
  content: 'hello',
  type: 'TEXT',
  media: [],
  replyToMessageId: null,
  tempId: null,
  bodyHash: null,
  updatedAt: null,
  deletedAt: null,
  originSocketId: null,
  mentions: [],
  ...over,
});

/** A webhook body (docs/PROTOCOL.md §5.16) of a TEXT message, for tests of the queues and sender. */
export const aWebhookNotification = (
  messageId = 'm1',
  recipients: string[] = ['u2'],
): MessageCreatedWebhook => ({
  id: '0b7c6c8e-4f7d-8a52-9d0e-2b1f5c3a9e41',
  type: 'message.created',
  created_at: '2026-03-01T12:00:00.000Z',
  conversation: { id: 'c1', type: 'GROUP', name: 'g' },
  recipients: recipients.map((id) => ({ user_id: id, username: id })),
  message: {
    id: messageId,
    conversation_id: 'c1',
    sender_id: 'u1',
    sender_username: 'alice',
    sender_avatar: null,
    content: 'héllo',
    type: 'TEXT',
    media: [],
    status: 'SENT',
    seq: 1,
    reply_to_message_id: null,
    temp_id: null,
    created_at: '2026-03-01T12:00:00.000Z',
    updated_at: null,
    deleted_at: null,
    mentions: [],
    reactions: [],
  },
});
