// Who must, may, or must not hold a message, judged only by what the checker's own requests
// bracket in time: a send's window [issued, committed] against the user's membership intervals.
import type { Journal, SendRecord } from './journal';
import { pairKey } from './journal';
import type { Truth } from './truth';

/**
 * `required`: a member since before the send was issued, still one at the end; `forbidden`: not a
 * member at any moment the message could have been written; `allowed`: a race either way;
 * `unknown`: a membership request without a definite answer, or the server disagrees at the end.
 */
export type Verdict = 'required' | 'allowed' | 'forbidden' | 'unknown';

export interface SendWindow {
  issued: number;
  /** When it was surely written: its ack, else the end of the run. */
  committed: number;
}

export const windowOf = (rec: SendRecord | undefined, runEnd: number): SendWindow =>
  rec
    ? { issued: rec.issuedAt, committed: rec.ackedAt ?? runEnd }
    : { issued: 0, committed: runEnd };

export class MembershipRules {
  /** Pairs where the checker's model and the server's final participants disagree. */
  readonly divergent = new Set<string>();

  constructor(
    private readonly journal: Journal,
    private readonly truth: Truth,
  ) {
    for (const [conversationId, byUser] of journal.memberships) {
      const final = truth.participants.get(conversationId) ?? new Set<string>();
      const users = new Set([...byUser.keys(), ...final]);
      for (const userId of users) {
        if (journal.uncertainMembership.has(pairKey(conversationId, userId))) continue;
        if (this.openAtEnd(conversationId, userId) !== final.has(userId))
          this.divergent.add(pairKey(conversationId, userId));
      }
    }
  }

  private openAtEnd(conversationId: string, userId: string): boolean {
    const list = this.journal.memberships.get(conversationId)?.get(userId) ?? [];
    const last = list[list.length - 1];
    return last !== undefined && last.leaveIssued === null && last.joinDone !== null;
  }

  verdict(conversationId: string, userId: string, w: SendWindow): Verdict {
    const key = pairKey(conversationId, userId);
    if (this.journal.uncertainMembership.has(key) || this.divergent.has(key)) return 'unknown';
    const list = this.journal.memberships.get(conversationId)?.get(userId) ?? [];
    const last = list[list.length - 1];
    if (last && last.leaveIssued === null && last.joinDone !== null && last.joinDone < w.issued)
      return 'required';
    const outside = list.every(
      (i) => i.joinIssued > w.committed || (i.leaveDone !== null && i.leaveDone < w.issued),
    );
    return outside ? 'forbidden' : 'allowed';
  }

  /** The current members at the end (the server's word, minus pairs the checker cannot judge). */
  finalMembers(conversationId: string): string[] {
    return [...(this.truth.participants.get(conversationId) ?? [])].filter(
      (u) =>
        !this.journal.uncertainMembership.has(pairKey(conversationId, u)) &&
        !this.divergent.has(pairKey(conversationId, u)),
    );
  }

  /** Bounds of the user's seen watermark (seq) at the end; null when it cannot be judged. */
  seenBounds(conversationId: string, userId: string): { lo: number; hi: number } | null {
    const key = pairKey(conversationId, userId);
    if (this.journal.uncertainMembership.has(key) || this.divergent.has(key)) return null;
    const list = this.journal.memberships.get(conversationId)?.get(userId) ?? [];
    const last = list[list.length - 1];
    if (!last || last.joinDone === null || last.leaveIssued !== null) return null;
    // Joining sets the watermark to the newest message at that moment (0 for founding members).
    const founding = list.length === 1 && last.joinIssued <= this.firstSendAt();
    let lo = 0;
    let hi = 0;
    if (!founding) {
      for (const m of this.truth.byConversation.get(conversationId) ?? []) {
        const rec = m.tempId === null ? undefined : this.journal.sends.get(m.tempId);
        const w = windowOf(rec, Number.MAX_SAFE_INTEGER);
        if (w.committed < last.joinIssued) lo = Math.max(lo, m.seq);
        if (w.issued <= last.joinDone) hi = Math.max(hi, m.seq);
      }
    }
    for (const mark of this.journal.seen) {
      if (
        mark.userId !== userId ||
        mark.conversationId !== conversationId ||
        mark.at < last.joinIssued
      )
        continue;
      if (mark.confirmed && mark.at > last.joinDone) lo = Math.max(lo, mark.seq);
      hi = Math.max(hi, mark.seq);
    }
    return { lo, hi: Math.max(lo, hi) };
  }

  private firstSendAt(): number {
    let first = Number.MAX_SAFE_INTEGER;
    for (const s of this.journal.sends.values()) first = Math.min(first, s.issuedAt);
    return first;
  }
}
