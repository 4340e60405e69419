// Access checks every use case starts with: the conversation exists, the caller is in it.
import { AppError, notFound, notParticipant } from '../domain/errors';
import type { Conversation, Message, Participant } from '../domain/types';
import type { Store } from '../ports';

export interface Membership {
  conversation: Conversation;
  participant: Participant;
}

/** 404 for an unknown conversation, 403 NOT_PARTICIPANT when the caller is not (or no longer) in it. */
export async function requireMembership(
  store: Store,
  conversationId: string,
  userId: string,
): Promise<Membership> {
  const [conversation, participant] = await Promise.all([
    store.findConversation(conversationId),
    store.findParticipant(conversationId, userId),
  ]);
  if (!conversation) throw notFound('conversation');
  if (!participant || participant.leftAt !== null) throw notParticipant();
  return { conversation, participant };
}

/** 404 for an unknown message; `otherConversation` decides what a message elsewhere is. */
export async function requireMessageIn(
  store: Store,
  conversationId: string,
  messageId: string,
  otherConversation: 'not-found' | 'invalid',
): Promise<Message> {
  const message = await store.findMessage(messageId);
  if (!message) throw notFound('message');
  if (message.conversationId !== conversationId) {
    if (otherConversation === 'not-found') throw notFound('message');
    throw new AppError('VALIDATION', 'the message belongs to another conversation');
  }
  return message;
}
