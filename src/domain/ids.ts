// Identifiers: every id is a 24-hex MongoDB ObjectId in every mode; some are derived so that
// a duplicate insert collides on _id in any store (unique secondary indexes are not relied on).
import { createHash, randomBytes } from 'node:crypto';
import { sha256 } from './sha256';

export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/;

export const isObjectId = (value: unknown): value is string =>
  typeof value === 'string' && OBJECT_ID_PATTERN.test(value);

const processRandom = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/** A fresh ObjectId (4-byte seconds, 5-byte process random, 3-byte counter), as hex. */
export function newObjectId(now: Date = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000)
    .toString(16)
    .padStart(8, '0');
  counter = (counter + 1) % 0xffffff;
  return seconds + processRandom + counter.toString(16).padStart(6, '0');
}

/** A stable ObjectId-shaped id for a natural key, so the same key always maps to one _id. */
export function deriveObjectId(namespace: string, ...parts: string[]): string {
  return sha256([namespace, ...parts].join('\u0000'), 'hex').slice(0, 24);
}

/** DIRECT conversations: one per unordered user pair, even under concurrent creation. */
export const directConversationId = (a: string, b: string): string =>
  deriveObjectId('direct', ...[a, b].sort());

/** Messages sent with a tempId: a retry maps to the original message. */
export const idempotentMessageId = (senderId: string, tempId: string): string =>
  deriveObjectId('message', senderId, tempId);

/** Users: one id per case-insensitive username, so two registrations cannot both win. */
export const userIdForUsername = (username: string): string =>
  deriveObjectId('user', username.toLowerCase());

/** Blocks: one per ordered (blocker, blocked) pair, so blocking twice collides. */
export const blockId = (blockerId: string, blockedId: string): string =>
  deriveObjectId('block', blockerId, blockedId);

/** Reactions: one per (message, user, emoji), so a repeated reaction collides on _id. */
export const reactionId = (messageId: string, userId: string, emoji: string): string =>
  deriveObjectId('reaction', messageId, userId, emoji);

/**
 * The webhook delivery of a message (docs/PROTOCOL.md §5.16): a UUID (version 8, name-based)
 * derived from the message id, so retries and a redelivered event all carry the same one and a
 * receiver can drop duplicates by it.
 */
export function webhookDeliveryId(messageId: string): string {
  const hex = createHash('sha256')
    .update(`webhook\u0000message.created\u0000${messageId}`)
    .digest();
  const bytes = Buffer.from(hex.subarray(0, 16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
