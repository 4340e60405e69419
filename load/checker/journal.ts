// What the checker did and when (its own clock): sends and their acks, membership changes, seen
// marks. The verifier judges the server's answers against these records.

/** One logical message: a tempId, sent (and maybe retried) until acked or given up. */
export interface SendRecord {
  tempId: string;
  conversationId: string;
  senderId: string;
  /** The sending device, or null for a REST send. */
  deviceId: string | null;
  via: 'ws' | 'rest';
  content: string;
  /** First attempt left the checker. */
  issuedAt: number;
  attempts: number;
  /** First MESSAGE_ACK / HTTP 201. */
  ackedAt: number | null;
  /** Every message id and seq the acks named (more than one of either is a violation). */
  ackIds: Set<string>;
  ackSeqs: Set<number>;
  /** Error codes answered, in order. */
  errors: string[];
  /** Stopped retrying without an ack. */
  gaveUp: boolean;
  /** Last attempt's answer or give-up (null while still trying). */
  settledAt: number | null;
}

/** A fresh record for a message about to be sent for the first time. */
export function newSendRecord(
  base: Pick<SendRecord, 'tempId' | 'conversationId' | 'senderId' | 'deviceId' | 'via' | 'content'>,
): SendRecord {
  return {
    ...base,
    issuedAt: Date.now(),
    attempts: 0,
    ackedAt: null,
    ackIds: new Set(),
    ackSeqs: new Set(),
    errors: [],
    gaveUp: false,
    settledAt: null,
  };
}

/** One stretch of membership of a user in a conversation, as the checker's requests bracket it. */
export interface MembershipInterval {
  joinIssued: number;
  /** When the add (or creation) answered; null if never confirmed. */
  joinDone: number | null;
  leaveIssued: number | null;
  leaveDone: number | null;
}

export interface SeenMark {
  userId: string;
  conversationId: string;
  messageId: string;
  seq: number;
  at: number;
  /** The server confirmed it (REST 200, or a Socket.IO OK); raw MARK_SEEN has no reply. */
  confirmed: boolean;
}

export interface FaultRecord {
  kind: 'node' | 'rabbit' | 'redis';
  target: string;
  /** Offsets from the workload's start, ms. */
  at: number;
  recoveredAt: number | null;
  error: string | null;
}

/** The workload's start (set when it begins): report times are offsets from it. */
export const runClock = { start: Date.now() };

/** `+12.3s`: a moment as an offset from the workload's start. */
export const offset = (t: number): string => `+${((t - runClock.start) / 1000).toFixed(1)}s`;

export class Journal {
  readonly sends = new Map<string, SendRecord>();
  /** conversationId → userId → intervals, oldest first. */
  readonly memberships = new Map<string, Map<string, MembershipInterval[]>>();
  readonly seen: SeenMark[] = [];
  readonly faults: FaultRecord[] = [];
  /** Error codes of every REST call and frame the workload got, by operation. */
  readonly errors = new Map<string, number>();
  /** Membership requests that never got a definite answer (their pairs are not judged). */
  readonly uncertainMembership = new Set<string>();
  /** Counters of what the workload did. */
  readonly ops = new Map<string, number>();

  count(op: string): void {
    this.ops.set(op, (this.ops.get(op) ?? 0) + 1);
  }

  /** INTERNAL answers (a transient failure must be UNAVAILABLE): what and when. */
  readonly internal: string[] = [];
  /** Edits and deletes the store accepted (so nobody edits a deleted message). */
  readonly deletedIds = new Set<string>();

  error(op: string, code: string): void {
    const key = `${op}: ${code}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    if (code === 'INTERNAL' || code === '500') this.internal.push(`${op} at ${offset(Date.now())}`);
  }

  intervals(conversationId: string, userId: string): MembershipInterval[] {
    let byUser = this.memberships.get(conversationId);
    if (!byUser) {
      byUser = new Map();
      this.memberships.set(conversationId, byUser);
    }
    let list = byUser.get(userId);
    if (!list) {
      list = [];
      byUser.set(userId, list);
    }
    return list;
  }

  joinStarted(conversationId: string, userId: string, at: number): MembershipInterval {
    const interval: MembershipInterval = {
      joinIssued: at,
      joinDone: null,
      leaveIssued: null,
      leaveDone: null,
    };
    this.intervals(conversationId, userId).push(interval);
    return interval;
  }

  /** The open interval (no leave issued), if any. */
  openInterval(conversationId: string, userId: string): MembershipInterval | undefined {
    const list = this.intervals(conversationId, userId);
    const last = list[list.length - 1];
    return last && last.leaveIssued === null ? last : undefined;
  }
}

export const pairKey = (conversationId: string, userId: string): string =>
  `${conversationId}/${userId}`;
