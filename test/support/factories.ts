// Builders for domain records with unique ids, so tests never need to wipe a store.
import { newObjectId } from '../../src/domain/ids';
import type { Conversation, Message, Participant, User } from '../../src/domain/types';
import type { MessageDraft } from '../../src/ports';

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
