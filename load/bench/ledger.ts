// Every message one fleet of clients sent: when it was sent, acknowledged and delivered, and to whom,
// so that losses, duplicates and misroutes are counted against what the bench itself did.

export interface MessageRecord {
  /** Index of the phase (closed-loop probe, each offered rate) that sent it. */
  phase: number;
  from: number;
  /** The client that must receive it (the sender's DM partner). */
  to: number;
  sentAt: number;
  /** NaN until MESSAGE_ACK. */
  ackedAt: number;
  /** NaN until the first NEW_MESSAGE at `to`. */
  deliveredAt: number;
  deliveries: number;
  /** ERROR code that answered the send. */
  error: string | null;
  /** No answer within the ack timeout: its in-flight slot was given back. */
  expired: boolean;
}

/** What must be zero in a clean run (the bench exits 1 otherwise), and what only informs. */
export interface Integrity {
  sent: number;
  acked: number;
  /** Acknowledged but never delivered to the receiver. */
  lost: number;
  /** Deliveries beyond the first of a message at its receiver. */
  duplicated: number;
  /** Deliveries to a client that was not the message's receiver (or in the wrong conversation). */
  misrouted: number;
  /**
   * NEW_MESSAGE back to the socket that sent it, which PROTOCOL.md §7.3 says gets MESSAGE_ACK
   * instead: reported, but neither a loss nor a duplicate.
   */
  echoes: number;
  /** Sends answered by ERROR, by code. */
  rejected: Record<string, number>;
  /** Sends with neither MESSAGE_ACK nor ERROR by the end. */
  unanswered: number;
  /** Connections that ended without the bench closing them. */
  connectionsLost: number;
}

export class Ledger {
  readonly records = new Map<string, MessageRecord>();
  /** Acks and deliveries so far, for the progress line. */
  ackCount = 0;
  deliveryCount = 0;
  private misrouted = 0;
  private echoes = 0;
  private readonly errors: Record<string, number> = {};
  private connectionsLost = 0;
  private next = 0;
  private readonly byPhase: MessageRecord[][] = [];

  constructor(
    private readonly prefix: string,
    /** The conversation each client sends in and receives from. */
    private readonly conversationOf: (client: number) => string,
  ) {}

  /** Records a send and returns its tempId (unique in the run). */
  sent(phase: number, from: number, to: number, at: number): string {
    const tempId = `${this.prefix}${(this.next++).toString(36)}`;
    const record: MessageRecord = {
      phase,
      from,
      to,
      sentAt: at,
      ackedAt: Number.NaN,
      deliveredAt: Number.NaN,
      deliveries: 0,
      error: null,
      expired: false,
    };
    this.records.set(tempId, record);
    (this.byPhase[phase] ??= []).push(record);
    return tempId;
  }

  /** The record when this is the first answer to it (its sender's slot is then free). */
  acked(tempId: string, at: number): MessageRecord | undefined {
    const record = this.records.get(tempId);
    if (!record || !Number.isNaN(record.ackedAt) || record.error !== null) return undefined;
    record.ackedAt = at;
    this.ackCount++;
    return record.expired ? undefined : record;
  }

  failed(tempId: string | null, code: string): MessageRecord | undefined {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    const record = tempId === null ? undefined : this.records.get(tempId);
    if (!record || !Number.isNaN(record.ackedAt) || record.error !== null) return undefined;
    record.error = code;
    return record.expired ? undefined : record;
  }

  delivered(tempId: string | null, receiver: number, conversationId: string, at: number): void {
    const record = tempId === null ? undefined : this.records.get(tempId);
    if (!record) {
      // Only this fleet's conversations exist on the server it talks to.
      this.misrouted++;
      return;
    }
    if (receiver === record.from && conversationId === this.conversationOf(receiver)) {
      this.echoes++;
      return;
    }
    if (record.to !== receiver || conversationId !== this.conversationOf(receiver)) {
      this.misrouted++;
      return;
    }
    record.deliveries++;
    if (record.deliveries === 1) {
      record.deliveredAt = at;
      this.deliveryCount++;
    }
  }

  connectionLost(): void {
    this.connectionsLost++;
  }

  /** Gives back the slots of sends unanswered for longer than `limitMs`; returns them. */
  expire(now: number, limitMs: number, phase: number): MessageRecord[] {
    const expired: MessageRecord[] = [];
    for (const record of this.phaseRecords(phase)) {
      if (record.expired || record.error !== null) continue;
      if (Number.isNaN(record.ackedAt) && now - record.sentAt > limitMs) {
        record.expired = true;
        expired.push(record);
      }
    }
    return expired;
  }

  phaseRecords(phase: number): readonly MessageRecord[] {
    return this.byPhase[phase] ?? [];
  }

  /** Whether a phase is settled: every send answered (or expired), every ack delivered. */
  settled(phase: number): boolean {
    for (const r of this.phaseRecords(phase)) {
      if (r.error === null && Number.isNaN(r.ackedAt) && !r.expired) return false;
      if (!Number.isNaN(r.ackedAt) && r.deliveries === 0) return false;
    }
    return true;
  }

  integrity(): Integrity {
    let acked = 0;
    let lost = 0;
    let duplicated = 0;
    let unanswered = 0;
    for (const r of this.records.values()) {
      if (!Number.isNaN(r.ackedAt)) {
        acked++;
        if (r.deliveries === 0) lost++;
      } else if (r.error === null) unanswered++;
      duplicated += Math.max(0, r.deliveries - 1);
    }
    return {
      sent: this.records.size,
      acked,
      lost,
      duplicated,
      misrouted: this.misrouted,
      echoes: this.echoes,
      rejected: { ...this.errors },
      unanswered,
      connectionsLost: this.connectionsLost,
    };
  }
}
