// One device's picture of its conversations (what it holds, by seq) and the record of how each
// message reached it: live, through SYNC, or as its own ack. The verifier reads the records.
import { offset } from './journal';

export type Source = 'live' | 'sync' | 'ack';

export interface HeldMessage {
  conversationId: string;
  seq: number;
  content: string | null;
  deleted: boolean;
  /** updatedAt of the content held (edits apply only forward). */
  updatedAt: string | null;
}

export interface Receipt {
  firstAt: number;
  live: number;
  sync: number;
  ack: number;
  /** Connections that got it live. */
  liveConnections: Set<number>;
}

export interface Violation {
  kind: string;
  detail: string;
}

class ConversationView {
  readonly bySeq = new Map<number, string>();
  readonly holes = new Set<number>();
  /** Highest seq up to which this device holds everything (messages or reported holes). */
  watermark = 0;

  constructor(
    /** False for a conversation first seen mid-run: its start is known only to the server. */
    public anchored: boolean,
  ) {}

  advance(): void {
    while (this.bySeq.has(this.watermark + 1) || this.holes.has(this.watermark + 1))
      this.watermark++;
  }

  /** Seqs above the watermark that this device holds: a gap sits below them. */
  hasGap(): boolean {
    for (const seq of this.bySeq.keys()) if (seq > this.watermark + 1) return true;
    return false;
  }
}

export class DeviceView {
  readonly conversations = new Map<string, ConversationView>();
  readonly messages = new Map<string, HeldMessage>();
  readonly receipts = new Map<string, Receipt>();
  /** Per connection and conversation, the last live NEW_MESSAGE seq (for the order check). */
  private readonly lastLive = new Map<string, number>();
  /** Edits that arrived before their message. */
  private readonly earlyEdits = new Map<
    string,
    { content: string | null; updatedAt: string | null; deleted: boolean }
  >();
  /** Violations seen by this device, counted by kind, with a few samples each. */
  readonly counts = new Map<string, number>();
  readonly samples: Violation[] = [];
  gapSyncs = 0;
  /** Reported SEQ_GAP seqs, per conversation (a message there later is a false gap). */
  readonly reportedGaps = new Map<string, Set<number>>();

  constructor(readonly deviceId: string) {}

  /** A conversation known from setup: the device has held it from its first seq. */
  know(conversationId: string): void {
    if (!this.conversations.has(conversationId))
      this.conversations.set(conversationId, new ConversationView(true));
  }

  /** Positions to SYNC from: every anchored conversation's watermark. */
  positions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, c] of this.conversations) if (c.anchored) out[id] = c.watermark;
    return out;
  }

  gapped(): string[] {
    return [...this.conversations].filter(([, c]) => c.hasGap()).map(([id]) => id);
  }

  /** Applies a NEW_MESSAGE (or the device's own ack) from `source` on connection `conn`. */
  applyMessage(
    m: {
      messageId: string;
      conversationId: string;
      seq: number;
      content: string | null;
      deletedAt: string | null;
      updatedAt: string | null;
    },
    source: Source,
    conn: number,
    at: number,
  ): void {
    const receipt = this.receipts.get(m.messageId) ?? {
      firstAt: at,
      live: 0,
      sync: 0,
      ack: 0,
      liveConnections: new Set<number>(),
    };
    this.receipts.set(m.messageId, receipt);
    if (source === 'live') {
      receipt.live++;
      if (receipt.live > 1) {
        this.note('duplicate', `${m.messageId} (seq ${m.seq}) live ${receipt.live}×`);
      }
      receipt.liveConnections.add(conn);
      const key = `${conn}/${m.conversationId}`;
      const last = this.lastLive.get(key) ?? 0;
      if (m.seq < last && receipt.live === 1) {
        this.note(
          'out-of-order',
          `conv ${m.conversationId}: live seq ${m.seq} after ${last} on connection ${conn}`,
        );
      }
      this.lastLive.set(key, Math.max(last, m.seq));
    } else if (source === 'sync') receipt.sync++;
    else receipt.ack++;

    let conv = this.conversations.get(m.conversationId);
    if (!conv) {
      conv = new ConversationView(false);
      conv.watermark = m.seq - 1;
      this.conversations.set(m.conversationId, conv);
    }
    const holder = conv.bySeq.get(m.seq);
    if (holder !== undefined && holder !== m.messageId) {
      this.note(
        'seq-conflict',
        `conv ${m.conversationId} seq ${m.seq}: ${holder} and ${m.messageId}`,
      );
    }
    const prior = this.messages.get(m.messageId);
    if (prior && prior.seq !== m.seq)
      this.note('seq-conflict', `${m.messageId} seen as seq ${prior.seq} and ${m.seq}`);
    if (this.reportedGaps.get(m.conversationId)?.has(m.seq)) {
      this.note(
        'false-gap',
        `conv ${m.conversationId} seq ${m.seq} was reported as SEQ_GAP, then ${m.messageId} came`,
      );
    }
    conv.bySeq.set(m.seq, m.messageId);
    if (!conv.anchored && m.seq <= conv.watermark) conv.watermark = m.seq - 1;
    if (!prior) {
      this.messages.set(m.messageId, {
        conversationId: m.conversationId,
        seq: m.seq,
        content: m.content,
        deleted: m.deletedAt !== null,
        updatedAt: m.updatedAt,
      });
      const early = this.earlyEdits.get(m.messageId);
      if (early) this.applyEdit(m.messageId, early);
    } else {
      this.applyEdit(m.messageId, {
        content: m.content,
        updatedAt: m.updatedAt,
        deleted: m.deletedAt !== null,
      });
    }
    conv.advance();
  }

  /** MESSAGE_UPDATED / MESSAGE_DELETED (or a newer copy of a message): newest content wins, deletion is final. */
  applyEdit(
    messageId: string,
    edit: { content: string | null; updatedAt: string | null; deleted: boolean },
  ): void {
    const held = this.messages.get(messageId);
    if (!held) {
      const early = this.earlyEdits.get(messageId);
      if (!early || edit.deleted || (edit.updatedAt ?? '') > (early.updatedAt ?? ''))
        this.earlyEdits.set(messageId, edit);
      return;
    }
    if (held.deleted) return;
    if (edit.deleted) {
      held.deleted = true;
      held.content = null;
      return;
    }
    if ((edit.updatedAt ?? '') >= (held.updatedAt ?? '')) {
      held.content = edit.content;
      held.updatedAt = edit.updatedAt;
    }
  }

  /** SEQ_GAP: these seqs hold nothing and never will. */
  applyGap(conversationId: string, fromSeq: number, toSeq: number): void {
    let conv = this.conversations.get(conversationId);
    if (!conv) {
      conv = new ConversationView(false);
      conv.watermark = fromSeq - 1;
      this.conversations.set(conversationId, conv);
    }
    const reported = this.reportedGaps.get(conversationId) ?? new Set<number>();
    this.reportedGaps.set(conversationId, reported);
    for (let s = fromSeq; s <= toSeq && s - fromSeq < 100_000; s++) {
      reported.add(s);
      const holder = conv.bySeq.get(s);
      if (holder !== undefined)
        this.note(
          'false-gap',
          `conv ${conversationId} seq ${s} reported as SEQ_GAP but holds ${holder}`,
        );
      conv.holes.add(s);
    }
    conv.advance();
  }

  /**
   * After a SYNC chain that started without a position for `conversationId`, the server walked it
   * from where it keeps this user (the cursor or the join): the first seq it returned anchors it.
   */
  anchor(conversationId: string, firstReturnedSeq: number): void {
    const conv = this.conversations.get(conversationId);
    if (!conv || conv.anchored) return;
    conv.anchored = true;
    conv.watermark = Math.min(conv.watermark, firstReturnedSeq - 1);
    conv.advance();
  }

  note(kind: string, detail: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n <= 3)
      this.samples.push({ kind, detail: `${this.deviceId} at ${offset(Date.now())}: ${detail}` });
  }
}

/** The fields of a NEW_MESSAGE frame the view keeps. */
export function messageOfFrame(f: Record<string, unknown>): {
  messageId: string;
  conversationId: string;
  seq: number;
  content: string | null;
  deletedAt: string | null;
  updatedAt: string | null;
} {
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    messageId: String(f.messageId),
    conversationId: String(f.conversationId),
    seq: Number(f.seq),
    content: str(f.content),
    deletedAt: str(f.deletedAt),
    updatedAt: str(f.updatedAt),
  };
}
