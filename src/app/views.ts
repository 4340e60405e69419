// Presenters: domain records → wire shapes (snake_case, ISO dates, deleted content hidden).
import type { Message, MessageStatus, User } from '../domain/types';
import type { MediaItemPublic, MessagePublic, UserPublic } from '../protocol/rest';

export const iso = (d: Date): string => d.toISOString();
export const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export const toUserPublic = (u: User): UserPublic => ({
  id: u.id,
  username: u.username,
  avatar_url: u.avatarUrl,
});

const toMediaPublic = (m: Message['media'][number]): MediaItemPublic => ({
  url: m.url,
  type: m.type,
  ...(m.thumbnailUrl !== undefined && { thumbnail_url: m.thumbnailUrl }),
  ...(m.width !== undefined && { width: m.width }),
  ...(m.height !== undefined && { height: m.height }),
  ...(m.duration !== undefined && { duration: m.duration }),
});

/** A message as every read shows it: a deleted message keeps its place but not its content. */
export function toMessagePublic(
  m: Message,
  sender: User | undefined,
  status: MessageStatus,
): MessagePublic {
  const deleted = m.deletedAt !== null;
  return {
    id: m.id,
    conversation_id: m.conversationId,
    sender_id: m.senderId,
    sender_username: sender?.username ?? null,
    sender_avatar: sender?.avatarUrl ?? null,
    content: deleted ? null : m.content,
    type: m.type,
    media: deleted ? [] : m.media.map(toMediaPublic),
    status,
    reply_to_message_id: m.replyToMessageId,
    temp_id: m.tempId,
    created_at: iso(m.createdAt),
    updated_at: isoOrNull(m.updatedAt),
    deleted_at: isoOrNull(m.deletedAt),
  };
}
