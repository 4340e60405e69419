// Mentions: which `@username` tokens a text holds, and who of a conversation a message mentions.
import type { Participant } from './types';

/** Explicit `mentions` a send may name: a bound, so one message cannot fan out without limit. */
export const MAX_MENTIONS = 50;

/**
 * An `@` that starts a token: at the start or after a character that cannot be part of a username
 * (so `bob@example.com` mentions nobody), followed by a username's characters (docs/PROTOCOL.md §4.2).
 */
const MENTION_TOKEN = /(?:^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})/g;

/**
 * The lowercased usernames `@`-mentioned in `content`. A token's trailing `.` or `-` may be
 * punctuation ("thanks @alice."), so both spellings are candidates.
 */
export function mentionedUsernames(content: string | null): string[] {
  if (content === null || !content.includes('@')) return [];
  const names = new Set<string>();
  for (const match of content.matchAll(MENTION_TOKEN)) {
    const token = (match[1] ?? '').toLowerCase();
    names.add(token);
    const trimmed = token.replace(/[.-]+$/, '');
    if (trimmed.length >= 3) names.add(trimmed);
  }
  return [...names];
}

/** Whether a message could mention anyone: only then does a send read who is in the conversation. */
export const mayMention = (content: string | null, explicit: readonly string[]): boolean =>
  explicit.length > 0 || (content !== null && content.includes('@'));

/**
 * Who a message mentions: the current participants other than the sender named explicitly or by
 * a username in the content, in participant order; anyone else is dropped without an error.
 */
export function resolveMentions(
  senderId: string,
  participants: readonly Pick<Participant, 'userId' | 'leftAt'>[],
  explicit: readonly string[],
  usernameOf: (userId: string) => string | undefined,
  usernames: readonly string[],
): string[] {
  const wanted = new Set(explicit);
  const names = new Set(usernames);
  return participants
    .filter((p) => p.leftAt === null && p.userId !== senderId)
    .filter((p) => wanted.has(p.userId) || names.has(usernameOf(p.userId)?.toLowerCase() ?? ''))
    .map((p) => p.userId)
    .filter((id, i, all) => all.indexOf(id) === i);
}
