// Blocking: a user blocks another. The blocked user cannot open or write to their DIRECT, and no
// longer finds the blocker in user search; the blocker cannot write to it either until they
// unblock. Groups are unaffected. The send path never reads blocks: a block is mirrored onto the
// DIRECT's participant records (`blocked`), which the append's membership check reads anyway.
import { blockedByCaller, blockedByOther } from '../domain/blocking';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { notFound, validationError } from '../domain/errors';
import { blockId, directConversationId } from '../domain/ids';
import type { Block, User } from '../domain/types';
import type { BlockPublic, BlockState, PageOf } from '../protocol/rest';
import type { Clock, Store } from '../ports';
import { iso, toUserPublic } from './views';

/** Whether either of the pair blocks the other, as [a blocks b, b blocks a]. */
async function blocksBetween(store: Store, a: string, b: string): Promise<[boolean, boolean]> {
  const [ab, ba] = await Promise.all([store.findBlock(a, b), store.findBlock(b, a)]);
  return [ab !== null, ba !== null];
}

/** Before a DIRECT is opened: the caller may not open one with a user who blocks them. */
export async function refuseDirectIfBlocked(
  store: Store,
  callerId: string,
  otherId: string,
): Promise<void> {
  if (await store.findBlock(otherId, callerId)) throw blockedByOther();
}

/**
 * After a DIRECT's participant records are written: re-applies a block of the pair to them (a
 * block made while the conversation did not exist yet, or a record written anew), then refuses
 * the caller if they are the blocked one (a block that raced the open).
 */
export async function applyDirectBlock(
  store: Store,
  conversationId: string,
  callerId: string,
  otherId: string,
): Promise<void> {
  const [callerBlocks, otherBlocks] = await blocksBetween(store, callerId, otherId);
  if (!callerBlocks && !otherBlocks) return;
  await store.setConversationBlocked(conversationId, true);
  if (otherBlocks) throw blockedByOther();
}

/** The error of a send the store refused for a block: which side blocked decides the message. */
export async function blockedSendError(
  store: Store,
  conversationId: string,
  senderId: string,
): Promise<Error> {
  const participants = await store.listParticipants(conversationId);
  const other = participants.find((p) => p.userId !== senderId);
  if (other && (await store.findBlock(senderId, other.userId))) return blockedByCaller();
  return blockedByOther();
}

export class BlockService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Blocks the user; repeatable (a second block keeps the first time). */
  async block(callerId: string, userId: string): Promise<BlockState> {
    const { store, clock } = this.deps;
    const user = await this.requireOther(callerId, userId);
    const block: Block = {
      id: blockId(callerId, userId),
      blockerId: callerId,
      blockedId: userId,
      blockedAt: clock(),
    };
    const stored = (await store.insertBlock(block))
      ? block
      : await store.findBlock(callerId, userId);
    // Written after the block, so a DIRECT opened concurrently is marked by one side or the other.
    await this.markDirect(callerId, userId, true);
    return {
      user: toUserPublic(user),
      blocked: true,
      blocked_at: iso((stored ?? block).blockedAt),
    };
  }

  /** Undoes the caller's block of the user; repeatable. Their DIRECT stays closed while the other still blocks. */
  async unblock(callerId: string, userId: string): Promise<BlockState> {
    const { store } = this.deps;
    const user = await this.requireOther(callerId, userId);
    await store.deleteBlock(callerId, userId);
    const [, stillBlocked] = await blocksBetween(store, callerId, userId);
    await this.markDirect(callerId, userId, stillBlocked);
    return { user: toUserPublic(user), blocked: false, blocked_at: null };
  }

  async list(
    callerId: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<PageOf<BlockPublic>> {
    const { store } = this.deps;
    const before = cursor === undefined ? null : decodeCursor(cursor);
    const rows = await store.listBlocksByBlocker(
      callerId,
      before && { blockedAt: before.createdAt, id: before.id },
      limit + 1,
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const users = new Map(
      (await store.findUsersByIds(page.map((b) => b.blockedId))).map((u) => [u.id, u]),
    );
    const items = page.flatMap((b): BlockPublic[] => {
      const user = users.get(b.blockedId);
      return user ? [{ user: toUserPublic(user), blocked_at: iso(b.blockedAt) }] : [];
    });
    const last = page[page.length - 1];
    return {
      items,
      hasMore,
      nextCursor: hasMore && last ? encodeCursor({ createdAt: last.blockedAt, id: last.id }) : null,
    };
  }

  private async requireOther(callerId: string, userId: string): Promise<User> {
    if (userId === callerId) throw validationError('you cannot block yourself');
    const user = await this.deps.store.findUserById(userId);
    if (!user) throw notFound('user');
    return user;
  }

  private async markDirect(callerId: string, userId: string, blocked: boolean): Promise<void> {
    const { store } = this.deps;
    const id = directConversationId(callerId, userId);
    if (await store.findConversation(id)) await store.setConversationBlocked(id, blocked);
  }
}
