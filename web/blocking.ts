// Blocking in the demo (PROTOCOL §5.15): whom I block, loaded once from the blocks list and kept
// as I block and unblock here (no frame tells of a block, so another tab of mine learns it on
// reload), the DIRECT header's block toggle, and the notice that explains a refused send.
import { ParleyClientError, type ParleyClient } from '../src/client';
import { h } from './dom';

/** The most pages of 50 the demo reads; past 2,500 blocks the toggle may start out wrong. */
const MAX_PAGES = 50;

export class BlockList {
  private readonly blocked = new Set<string>();
  private loading: Promise<void> | null = null;

  constructor(private readonly client: ParleyClient) {}

  /** Reads the list once; later calls wait for that first read. A failed read leaves it empty. */
  ready(): Promise<void> {
    this.loading ??= this.load().catch(() => undefined);
    return this.loading;
  }

  has(userId: string): boolean {
    return this.blocked.has(userId);
  }

  /** Blocks or unblocks through the server, then remembers the answer. */
  async set(userId: string, blocked: boolean): Promise<void> {
    const state = blocked ? await this.client.block(userId) : await this.client.unblock(userId);
    if (state.blocked) this.blocked.add(userId);
    else this.blocked.delete(userId);
  }

  private async load(): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.client.listBlocks({ limit: 50, cursor });
      for (const b of answer.blocks) this.blocked.add(b.user.id);
      if (!answer.hasMore || answer.nextCursor === null) return;
      cursor = answer.nextCursor;
    }
  }
}

/** The header's toggle for a DIRECT with `userId`; `changed` runs once the server has answered. */
export function blockToggle(
  blocks: BlockList,
  userId: string,
  changed: (error: string | null) => void,
): HTMLButtonElement {
  const on = blocks.has(userId);
  return h(
    'button',
    {
      type: 'button',
      class: `link block-toggle${on ? ' on' : ''}`,
      title: on ? 'Unblock: you can write to each other again' : 'Block: neither of you can write',
      'data-testid': 'block',
      'aria-pressed': String(on),
      onclick: () => {
        blocks.set(userId, !on).then(
          () => {
            changed(null);
          },
          (err: unknown) => {
            changed(err instanceof Error ? err.message : String(err));
          },
        );
      },
    },
    on ? 'Unblock' : 'Block',
  );
}

/** The notice of a send the server refused: a block is said plainly, anything else as it came. */
export function refusalNotice(err: unknown): string {
  if (err instanceof ParleyClientError && err.code === 'BLOCKED')
    return `Blocked: ${err.message}. Your message was not sent.`;
  return `Not sent: ${err instanceof Error ? err.message : String(err)}`;
}
