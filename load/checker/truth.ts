// The store's final word, read over REST once the workload is over: every conversation's messages
// (all pages), its current participants, and each user's conversation list (unread, presence).
import { call, listAll, type ApiOptions } from './api';
import type { ConversationState, World } from './setup';
import { inBatches } from './setup';

export interface StoredMessage {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  tempId: string | null;
  content: string | null;
  deleted: boolean;
  /** Who the server resolved the message to mention. */
  mentions: string[];
}

export interface Truth {
  messages: Map<string, StoredMessage>;
  /** Per conversation, in stored order (oldest first, as the pages reassemble). */
  byConversation: Map<string, StoredMessage[]>;
  /** Current participants per conversation, from GET /conversations/{id}. */
  participants: Map<string, Set<string>>;
  /** Listing problems: the same id twice, seqs not strictly increasing in stored order. */
  problems: string[];
}

/** A current member to read a conversation as: the group admin, or either side of a DM. */
const readerOf = (c: ConversationState): string => c.adminId ?? [...c.members][0]!;

export async function readTruth(world: World): Promise<Truth> {
  const tokens = new Map(world.users.map((u) => [u.id, u.token]));
  const truth: Truth = {
    messages: new Map(),
    byConversation: new Map(),
    participants: new Map(),
    problems: [],
  };
  await inBatches(world.conversations, 4, async (c) => {
    const token = tokens.get(readerOf(c))!;
    const detail = await call(world.api, 'GET', `/messages/conversations/${c.id}`, token);
    if (detail.status !== 200) throw new Error(`GET conversation ${c.id}: HTTP ${detail.status}`);
    truth.participants.set(
      c.id,
      new Set((detail.body.data.participants as { user_id: string }[]).map((p) => p.user_id)),
    );
    const pages = await listPages(world.api, `/messages/conversations/${c.id}/messages`, token);
    // Pages come newest first; each page is oldest first.
    const ordered = pages.reverse().flat();
    const list: StoredMessage[] = [];
    let lastSeq = 0;
    for (const m of ordered) {
      const stored: StoredMessage = {
        id: String(m.id),
        conversationId: c.id,
        seq: Number(m.seq),
        senderId: String(m.sender_id),
        tempId: (m.temp_id as string | null | undefined) ?? null,
        content: (m.content as string | null) ?? null,
        deleted: m.deleted_at !== null && m.deleted_at !== undefined,
        mentions: Array.isArray(m.mentions) ? (m.mentions as unknown[]).map(String) : [],
      };
      if (truth.messages.has(stored.id))
        truth.problems.push(`conv ${c.id}: message ${stored.id} listed twice`);
      if (!(stored.seq > lastSeq))
        truth.problems.push(`conv ${c.id}: seq ${stored.seq} listed after ${lastSeq}`);
      lastSeq = Math.max(lastSeq, stored.seq);
      truth.messages.set(stored.id, stored);
      list.push(stored);
    }
    truth.byConversation.set(c.id, list);
  });
  return truth;
}

async function listPages(api: ApiOptions, path: string, token: string): Promise<any[][]> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 10_000; i++) {
    const query = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await call(api, 'GET', `${path}${query}`, token);
    if (res.status !== 200)
      throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    pages.push(res.body.data as any[]);
    cursor = res.body.next_cursor ?? null;
    if (!res.body.has_more || cursor === null) return pages;
  }
  throw new Error(`GET ${path}: too many pages`);
}

export interface UserConversationRow {
  userId: string;
  conversationId: string;
  unread: number;
  unreadMentions: number;
  /** DIRECT: the other user and whether they show online. */
  other: { userId: string; online: boolean } | null;
}

/** Every user's GET /messages/conversations rows. */
export async function readConversationLists(world: World): Promise<UserConversationRow[]> {
  const rows: UserConversationRow[] = [];
  await inBatches(world.users, 4, async (u) => {
    const items = await listAll(world.api, '/messages/conversations', u.token, 50);
    for (const item of items) {
      rows.push({
        userId: u.id,
        conversationId: String(item.id),
        unread: Number(item.unread_count),
        unreadMentions: Number(item.unread_mention_count),
        other: item.other_user_id
          ? { userId: String(item.other_user_id), online: Boolean(item.is_online) }
          : null,
      });
    }
  });
  return rows;
}

/** Who shows online, per observer: DM rows of every user and the participants of every group. */
export async function readPresence(
  world: World,
): Promise<{ observer: string; userId: string; online: boolean }[]> {
  const seen: { observer: string; userId: string; online: boolean }[] = [];
  for (const row of await readConversationLists(world)) {
    if (row.other)
      seen.push({
        observer: `${row.userId} (DM list)`,
        userId: row.other.userId,
        online: row.other.online,
      });
  }
  const tokens = new Map(world.users.map((u) => [u.id, u.token]));
  await inBatches(
    world.conversations.filter((c) => c.type === 'GROUP'),
    4,
    async (c) => {
      const res = await call(
        world.api,
        'GET',
        `/messages/conversations/${c.id}`,
        tokens.get(c.adminId!)!,
      );
      if (res.status !== 200) throw new Error(`GET conversation ${c.id}: HTTP ${res.status}`);
      for (const p of res.body.data.participants as { user_id: string; is_online: boolean }[]) {
        seen.push({ observer: `group ${c.id}`, userId: p.user_id, online: p.is_online });
      }
    },
  );
  return seen;
}
