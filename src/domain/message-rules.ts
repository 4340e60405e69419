// Rules for message bodies: what a message may hold and what type it derives to.
import { sha256 } from './sha256';
import { validationError } from './errors';
import type { MediaItem, MessageType } from './types';

export interface MessageLimits {
  /** @default 4000 */
  maxMessageLength: number;
  /** @default 10 */
  maxMediaItems: number;
}

/** Length in Unicode code points, so an emoji counts once, not as two UTF-16 units. */
export function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by its low half is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) i++;
    count++;
  }
  return count;
}

/** TEXT, IMAGE or VIDEO when only one kind is present; MIXED for text + media or images + videos. */
export function deriveMessageType(content: string | null, media: MediaItem[]): MessageType {
  const hasText = content !== null && content.length > 0;
  const kinds = new Set(media.map((m) => m.type));
  if (media.length === 0) return 'TEXT';
  if (hasText || kinds.size > 1) return 'MIXED';
  return kinds.has('video') ? 'VIDEO' : 'IMAGE';
}

/** Normalises and checks a message body; throws VALIDATION with a human reason. */
export function checkMessageBody(
  rawContent: string | null | undefined,
  media: MediaItem[],
  limits: MessageLimits,
): { content: string | null; media: MediaItem[] } {
  const content = rawContent === undefined || rawContent === null ? null : rawContent;
  const hasText = content !== null && content.trim().length > 0;
  if (!hasText && media.length === 0) {
    throw validationError('a message needs content or media');
  }
  if (content !== null && characterCount(content) > limits.maxMessageLength) {
    throw validationError(`content is longer than ${limits.maxMessageLength} characters`);
  }
  if (media.length > limits.maxMediaItems) {
    throw validationError(`at most ${limits.maxMediaItems} media items are allowed`);
  }
  return { content: hasText ? content : null, media };
}

/** Checks edited content: text is required (media cannot be edited). */
export function checkEditedContent(content: string, limits: MessageLimits): string {
  if (content.trim().length === 0) throw validationError('content must not be empty');
  if (characterCount(content) > limits.maxMessageLength) {
    throw validationError(`content is longer than ${limits.maxMessageLength} characters`);
  }
  return content;
}

/** Conversation-list preview of a message. */
export function previewOf(content: string | null, type: MessageType): string {
  if (content !== null) return content.length > 200 ? `${content.slice(0, 200)}…` : content;
  return type === 'VIDEO' ? '[video]' : type === 'IMAGE' ? '[image]' : '[media]';
}

/**
 * What a tempId promises: the same key from the same sender means the same message. The
 * fingerprint of the normalised body tells a retry (same) from a reused key (a conflict).
 */
export function bodyFingerprint(
  conversationId: string,
  body: { content: string | null; media: MediaItem[] },
  replyToMessageId: string | null,
  mentions: readonly string[] = [],
): string {
  // Explicit mentions join the fingerprint only when given, so a plain body hashes as before.
  const parts: unknown[] = [conversationId, body.content, body.media, replyToMessageId];
  if (mentions.length > 0) parts.push([...mentions].sort());
  return sha256(JSON.stringify(parts), 'base64url');
}
