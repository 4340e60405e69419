// The `message.sent` event both ways: the send path puts in it everything the fan-out needs (the
// message, its sender's profile, who it is for), so the consumer emits it without a store read.
import type { Message, User } from '../domain/types';
import type { BusPayload } from '../protocol/events';
import { iso } from './views';

export type SenderProfile = Pick<User, 'username' | 'avatarUrl'>;

/** A message as its event carries it, ready to emit. */
export interface CarriedMessage {
  message: Message;
  sender: SenderProfile;
  /** Current participants when it got its seq, the sender included. */
  participantIds: string[];
}

export function sentEventPayload(
  message: Message,
  originSocketId: string | null,
  now: Date,
  audience?: { sender: SenderProfile; participantIds: string[] },
): BusPayload<'message.sent'> {
  return {
    message_id: message.id,
    conversation_id: message.conversationId,
    seq: message.seq,
    sender_id: message.senderId,
    temp_id: message.tempId,
    socket_id: originSocketId,
    timestamp: iso(now),
    ...(audience && {
      message: {
        content: message.content,
        type: message.type,
        media: message.media,
        reply_to_message_id: message.replyToMessageId,
        created_at: iso(message.createdAt),
        sender_username: audience.sender.username,
        sender_avatar: audience.sender.avatarUrl,
        participant_ids: audience.participantIds,
        mentions: message.mentions,
      },
    }),
  };
}

/** The message an event carries, or null when it carries none (a republished event). */
export function carriedMessage(p: BusPayload<'message.sent'>): CarriedMessage | null {
  const m = p.message;
  if (!m) return null;
  const createdAt = new Date(m.created_at);
  return {
    message: {
      id: p.message_id,
      conversationId: p.conversation_id,
      seq: p.seq,
      senderId: p.sender_id,
      content: m.content,
      type: m.type,
      media: m.media,
      replyToMessageId: m.reply_to_message_id,
      tempId: p.temp_id,
      bodyHash: null,
      createdAt,
      updatedAt: null,
      deletedAt: null,
      changedAt: createdAt,
      originSocketId: p.socket_id ?? null,
      mentions: m.mentions ?? [],
    },
    sender: { username: m.sender_username, avatarUrl: m.sender_avatar },
    participantIds: m.participant_ids,
  };
}
