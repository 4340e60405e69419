// Mentions as a message is written or edited: `@username` tokens and explicit ids, resolved to the
// conversation's current participants (docs/PROTOCOL.md §5.11). Reads only when there is
// something to resolve, so a plain send stays a single store command.
import { userIdForUsername } from '../domain/ids';
import { mayMention, mentionedUsernames, resolveMentions } from '../domain/mentions';
import type { Store } from '../ports';

/**
 * Who a message from `senderId` with `content` mentions, given the ids the client named. Names
 * are matched to participants by the id a registered username derives to first; only names left
 * over (users provisioned elsewhere, or no one) cost a read of the participants' profiles.
 */
export async function mentionsFor(
  store: Pick<Store, 'listParticipants' | 'findUsersByIds'>,
  conversationId: string,
  senderId: string,
  content: string | null,
  explicit: readonly string[],
): Promise<string[]> {
  if (!mayMention(content, explicit)) return [];
  const names = mentionedUsernames(content);
  if (names.length === 0 && explicit.length === 0) return [];
  const participants = await store.listParticipants(conversationId);
  const current = participants.filter((p) => p.leftAt === null && p.userId !== senderId);
  const ids = new Set(current.map((p) => p.userId));
  const unmatched = names.filter((n) => !ids.has(userIdForUsername(n)));
  const usernames = new Map<string, string>(names.map((n) => [userIdForUsername(n), n]));
  if (unmatched.length > 0) {
    const candidates = current.map((p) => p.userId).filter((id) => !usernames.has(id));
    for (const u of candidates.length > 0 ? await store.findUsersByIds(candidates) : [])
      usernames.set(u.id, u.username);
  }
  return resolveMentions(senderId, current, explicit, (id) => usernames.get(id), names);
}
