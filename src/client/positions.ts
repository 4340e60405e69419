// Per-conversation seq positions the client holds: what is new, what is a duplicate, what is a gap.

export type SeqVerdict =
  /** The next seq (or the first one seen for the conversation): deliver it. */
  | 'next'
  /** At or below the position: already delivered. */
  | 'duplicate'
  /** Past position + 1: the seqs in between must be fetched first (SYNC positions). */
  | 'gap';

export class Positions {
  private readonly held = new Map<string, number>();

  get(conversationId: string): number | undefined {
    return this.held.get(conversationId);
  }

  /** Plain object for SYNC `positions`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.held);
  }

  judge(conversationId: string, seq: number): SeqVerdict {
    const held = this.held.get(conversationId);
    if (held === undefined) return 'next';
    if (seq <= held) return 'duplicate';
    return seq === held + 1 ? 'next' : 'gap';
  }

  /** Moves the position forward (never back). */
  advance(conversationId: string, seq: number): void {
    const held = this.held.get(conversationId);
    if (held === undefined || seq > held) this.held.set(conversationId, seq);
  }

  /** A SEQ_GAP: seqs fromSeq..toSeq will never hold a message, so a position just before them skips them. */
  skip(conversationId: string, fromSeq: number, toSeq: number): void {
    const held = this.held.get(conversationId);
    if (held !== undefined && held >= fromSeq - 1 && held < toSeq)
      this.held.set(conversationId, toSeq);
  }
}
