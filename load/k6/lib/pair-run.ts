// One user pair over raw WebSockets (k6/websockets): the receiver confirms every NEW_MESSAGE with
// MARK_DELIVERED, the sender streams SEND_MESSAGE once both sockets are connected, keeping at most
// `inflight` without a MESSAGE_ACK. Both sockets live in one VU, so send, ACK and delivery times
// come from one clock and every delivery is matched to its send by tempId.
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'k6/timers';
import { WebSocket, type MessageEvent } from 'k6/websockets';
import type { ServerSettings } from './env.ts';
import { isRecord, type Session } from './rest-client.ts';

export interface RealtimeSettings extends ServerSettings {
  /** `ws://…/api/v1/ws`, derived from BASE_URL. */
  wsUrl: string;
  /** Messages each sender sends. @default 100 */
  messages: number;
  /** Sends a sender keeps without a MESSAGE_ACK. @default 10 */
  inflight: number;
  /** Length of each message's content. @default 64 */
  contentBytes: number;
  /** A send with no answer after this long counts as an error and frees its slot. @default 10 s */
  ackTimeoutMs: number;
  /** After the last ACK, how long to wait for deliveries still on their way. @default 10 s */
  drainMs: number;
  /** A pair stops after this long whatever remains. @default 120 s */
  maxMs: number;
}

export interface PairPlan {
  sender: Session;
  receiver: Session;
  conversationId: string;
}

/** Send → MESSAGE_ACK at the sender, in ms. */
const ackLatency = new Trend('parley_ack_latency', true);
/** Send → first NEW_MESSAGE at the receiver, in ms. */
const deliveryLatency = new Trend('parley_delivery_latency', true);
/** One sample per planned message: true when the receiver got it by the end of the drain. */
const deliveryRatio = new Rate('parley_delivery_ratio');
/** Anything that should not happen, tagged with `kind` (and `code` for ERROR frames). */
const errors = new Counter('parley_errors');
const acked = new Counter('parley_messages_acked');
const delivered = new Counter('parley_messages_delivered');

/** After the pair is done, the receiver listens this much longer to catch late duplicates. */
const DUPLICATE_TAIL_MS = 500;
const ACK_SWEEP_MS = 500;
const OBJECT_ID = /^[0-9a-f]{24}$/;

type Role = 'sender' | 'receiver';

/** A server frame (§6.4); fields are read where its `type` says what they are. */
type Frame = Record<string, unknown> & { type: string };

export class PairRun {
  private readonly sendTimes = new Map<string, number>(); // tempId → when it was sent
  private readonly unanswered = new Map<string, number>(); // tempId → when it was sent
  private readonly ackedIds = new Set<string>();
  private readonly deliveredIds = new Set<string>();
  private readonly connected: Record<Role, boolean> = { sender: false, receiver: false };
  private sender: WebSocket | null = null;
  private receiver: WebSocket | null = null;
  private nextSeq = 0;
  private lastDeliveredSeq = 0;
  private draining = false;
  private finished = false;
  private readonly timers: number[] = [];
  private sweep: number | null = null;

  constructor(
    private readonly settings: RealtimeSettings,
    private readonly plan: PairPlan,
    /** Prefix of this pair's tempIds, unique per run and pair. */
    private readonly tempIdPrefix: string,
  ) {}

  start(): void {
    this.receiver = this.open('receiver', this.plan.receiver, (frame) => {
      this.onReceiverFrame(frame);
    });
    this.sender = this.open('sender', this.plan.sender, (frame) => {
      this.onSenderFrame(frame);
    });
    this.sweep = setInterval(() => {
      this.expireUnanswered();
    }, ACK_SWEEP_MS);
    this.later(this.settings.maxMs, () => {
      errors.add(1, { kind: 'deadline' });
      this.finish();
    });
  }

  private open(role: Role, user: Session, onFrame: (frame: Frame) => void): WebSocket {
    // The token goes in a header, not the URL, so every socket shares one `url` tag.
    const socket = new WebSocket(this.settings.wsUrl, null, {
      headers: { Authorization: `Bearer ${user.token}` },
      tags: { role },
    });
    socket.onmessage = (event?: MessageEvent) => {
      const frame = parseFrame(event?.data);
      if (frame === null) {
        errors.add(1, { kind: 'bad_frame', role });
      } else if (frame.type === 'connected') {
        check(frame, { [`${role}: connected as its user`]: (f) => f.user_id === user.id });
        this.connected[role] = true;
        this.pump();
      } else if (frame.type === 'ERROR') {
        this.onError(role, frame);
      } else {
        onFrame(frame);
      }
    };
    socket.onerror = (event) => {
      if (this.finished) return;
      errors.add(1, { kind: 'socket_error', role });
      console.error(`${this.tempIdPrefix} ${role}: ${event?.error ?? 'socket error'}`);
      this.finish(); // a failed connect may never report a close
    };
    socket.onclose = () => {
      if (this.finished) return;
      errors.add(1, { kind: 'closed', role });
      console.error(`${this.tempIdPrefix} ${role}: closed by the server`);
      this.finish();
    };
    return socket;
  }

  /** Sends until `inflight` are unanswered or every message is out; then drains. */
  private pump(): void {
    const socket = this.sender;
    if (this.finished || !socket || !this.connected.sender || !this.connected.receiver) return;
    while (this.unanswered.size < this.settings.inflight && this.nextSeq < this.settings.messages) {
      const tempId = this.tempId(this.nextSeq);
      const head = `k6 ${this.nextSeq} `;
      const now = Date.now();
      this.sendTimes.set(tempId, now);
      this.unanswered.set(tempId, now);
      socket.send(
        JSON.stringify({
          type: 'SEND_MESSAGE',
          conversationId: this.plan.conversationId,
          content: head.padEnd(this.settings.contentBytes, 'x'),
          tempId,
        }),
      );
      this.nextSeq++;
    }
    if (this.nextSeq === this.settings.messages && this.unanswered.size === 0) this.drain();
  }

  private onSenderFrame(frame: Frame): void {
    if (frame.type === 'MESSAGE_ACK') {
      const tempId = typeof frame.tempId === 'string' ? frame.tempId : '';
      const sentAt = this.sendTimes.get(tempId);
      check(frame, {
        'MESSAGE_ACK: a tempId this sender sent': () => sentAt !== undefined,
        'MESSAGE_ACK: status SENT, 24-hex messageId, seq': (f) =>
          f.status === 'SENT' &&
          typeof f.messageId === 'string' &&
          OBJECT_ID.test(f.messageId) &&
          typeof f.seq === 'number',
      });
      if (sentAt === undefined) return;
      if (this.ackedIds.has(tempId)) {
        errors.add(1, { kind: 'duplicate_ack' });
        return;
      }
      // A late ACK (after its timeout was counted) still measures and still counts as acked.
      this.ackedIds.add(tempId);
      this.unanswered.delete(tempId);
      acked.add(1);
      ackLatency.add(Date.now() - sentAt);
      this.pump();
    } else if (frame.type === 'NEW_MESSAGE') {
      // The sender's only socket is the sending one, which gets MESSAGE_ACK instead (§7.3).
      errors.add(1, { kind: 'sender_echo' });
    }
    // MESSAGE_STATUS and the like: not measured here.
  }

  private onReceiverFrame(frame: Frame): void {
    if (frame.type !== 'NEW_MESSAGE') return;
    const { conversationId, messageId, senderId, seq, tempId } = frame;
    if (typeof messageId === 'string' && typeof conversationId === 'string') {
      // A raw socket has no acknowledgement callback: it confirms receipt with MARK_DELIVERED.
      this.receiver?.send(JSON.stringify({ type: 'MARK_DELIVERED', conversationId, messageId }));
    }
    const sentAt = typeof tempId === 'string' ? this.sendTimes.get(tempId) : undefined;
    if (
      sentAt === undefined ||
      typeof tempId !== 'string' ||
      conversationId !== this.plan.conversationId ||
      senderId !== this.plan.sender.id
    ) {
      errors.add(1, { kind: 'misrouted' });
      return;
    }
    if (this.deliveredIds.has(tempId)) {
      errors.add(1, { kind: 'duplicate' });
      return;
    }
    if (this.finished) return; // after the ratio was recorded: counted only if a duplicate
    this.deliveredIds.add(tempId);
    delivered.add(1);
    deliveryLatency.add(Date.now() - sentAt);
    // §7.1: live NEW_MESSAGEs of a conversation arrive in seq order.
    const inOrder = typeof seq === 'number' && seq > this.lastDeliveredSeq;
    check(frame, { 'NEW_MESSAGE: in seq order': () => inOrder });
    if (typeof seq === 'number' && inOrder) this.lastDeliveredSeq = seq;
    if (this.draining && this.allDelivered()) this.finish();
  }

  private onError(role: Role, frame: Frame): void {
    const code = typeof frame.code === 'string' ? frame.code : 'unknown';
    const tempId = typeof frame.tempId === 'string' ? frame.tempId : null;
    const refusedSend = role === 'sender' && tempId !== null && this.unanswered.has(tempId);
    errors.add(1, { kind: refusedSend ? 'send_refused' : 'error_frame', code, role });
    console.warn(`${this.tempIdPrefix} ${role}: ERROR ${code} ${String(frame.message)}`);
    if (refusedSend) {
      this.unanswered.delete(tempId);
      this.pump();
    }
  }

  /** Frees the slots of sends unanswered for longer than the ACK timeout. */
  private expireUnanswered(): void {
    const cutoff = Date.now() - this.settings.ackTimeoutMs;
    let expired = false;
    for (const [tempId, sentAt] of this.unanswered) {
      if (sentAt > cutoff) continue;
      this.unanswered.delete(tempId);
      errors.add(1, { kind: 'ack_timeout' });
      expired = true;
    }
    if (expired) this.pump();
  }

  /** Everything is sent and answered: wait for deliveries still in flight, then finish. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    if (this.allDelivered()) {
      this.finish();
      return;
    }
    this.later(this.settings.drainMs, () => {
      this.finish();
    });
  }

  private allDelivered(): boolean {
    for (const tempId of this.ackedIds) if (!this.deliveredIds.has(tempId)) return false;
    return true;
  }

  /** Records the pair's delivery ratio, then closes both sockets. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (let seq = 0; seq < this.settings.messages; seq++) {
      deliveryRatio.add(this.deliveredIds.has(this.tempId(seq)));
    }
    if (this.unanswered.size > 0) errors.add(this.unanswered.size, { kind: 'unanswered' });
    if (this.sweep !== null) clearInterval(this.sweep);
    for (const timer of this.timers) clearTimeout(timer);
    this.sender?.close();
    setTimeout(() => this.receiver?.close(), DUPLICATE_TAIL_MS);
  }

  private later(ms: number, run: () => void): void {
    this.timers.push(setTimeout(run, ms));
  }

  private tempId(seq: number): string {
    return `${this.tempIdPrefix}-${seq}`;
  }
}

function parseFrame(data: unknown): Frame | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null; // counted as a bad frame by the caller
  }
  return isRecord(value) && typeof value.type === 'string' ? (value as Frame) : null;
}
