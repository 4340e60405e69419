// The embedded store's blocks, and their mirror on a DIRECT's participant records.
import type { Block } from '../../../domain/types';
import type { BlockKey, BlockStore } from '../../../ports';
import { copy, type MemoryState } from './memory-state';

const newerFirst = (a: Block, b: Block): number =>
  b.blockedAt.getTime() - a.blockedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

const olderThan = (b: Block, key: BlockKey): boolean =>
  b.blockedAt.getTime() < key.blockedAt.getTime() ||
  (b.blockedAt.getTime() === key.blockedAt.getTime() && b.id < key.id);

export class MemoryBlocks implements BlockStore {
  constructor(private readonly s: MemoryState) {}

  insertBlock(block: Block): Promise<boolean> {
    if (this.s.blocks.has(block.id)) return Promise.resolve(false);
    this.s.blocks.set(block.id, copy(block));
    return Promise.resolve(true);
  }

  deleteBlock(blockerId: string, blockedId: string): Promise<boolean> {
    const found = this.#find(blockerId, blockedId);
    return Promise.resolve(found !== undefined && this.s.blocks.delete(found.id));
  }

  findBlock(blockerId: string, blockedId: string): Promise<Block | null> {
    const found = this.#find(blockerId, blockedId);
    return Promise.resolve(found ? copy(found) : null);
  }

  listBlocksByBlocker(blockerId: string, before: BlockKey | null, limit: number): Promise<Block[]> {
    const page = [...this.s.blocks.values()]
      .filter((b) => b.blockerId === blockerId && (before === null || olderThan(b, before)))
      .sort(newerFirst)
      .slice(0, limit);
    return Promise.resolve(page.map(copy));
  }

  listBlockerIds(blockedId: string, limit: number): Promise<string[]> {
    const ids = [...this.s.blocks.values()]
      .filter((b) => b.blockedId === blockedId)
      .map((b) => b.blockerId)
      .slice(0, limit);
    return Promise.resolve(ids);
  }

  setConversationBlocked(conversationId: string, blocked: boolean): Promise<void> {
    // Absent when not blocked, as the other stores read it back.
    for (const p of this.s.participants.get(conversationId)?.values() ?? []) {
      if (blocked) p.blocked = true;
      else delete p.blocked;
    }
    return Promise.resolve();
  }

  #find(blockerId: string, blockedId: string): Block | undefined {
    return [...this.s.blocks.values()].find(
      (b) => b.blockerId === blockerId && b.blockedId === blockedId,
    );
  }
}
