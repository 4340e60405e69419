// A simulated device: one user's client that connects to some node, applies what it receives,
// sends with tempIds (retried until acked), fills seq gaps with SYNC and, after every reconnect,
// catches up with SYNC from the positions it holds and/or its last cursor, paging to the end.
import { newSendRecord, type Journal, type SendRecord } from './journal';
import {
  ConnectionClosed,
  openConnection,
  type Connection,
  type Frame,
  type Transport,
} from './connection';
import type { Rng } from './rng';
import { sleep } from './proc';
import { sendUntilAcked } from './send-loop';
import { CursorRejected, runSyncChain } from './sync-chain';
import { DeviceView, messageOfFrame } from './view';

/** A gap still open this long after it appeared is filled with SYNC (acks may be in flight). */
const GAP_WAIT_MS = 400;

export interface DeviceOptions {
  deviceId: string;
  userId: string;
  token: string;
  transport: Transport;
  rng: Rng;
  journal: Journal;
  pickUrl: () => string;
}

export class Device {
  readonly view: DeviceView;
  conn: Connection | null = null;
  /** Every connection this device had: [opened, closed] (for the live-delivery check). */
  readonly connections: { id: number; openedAt: number; closedAt: number | null }[] = [];
  readonly pending = new Map<string, SendRecord>();
  private lastCursor: string | null = null;
  private nextConnId = 1;
  private stopped = false;
  private connecting: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private gapTimer: NodeJS.Timeout | null = null;
  private onConnected: (() => void)[] = [];
  /** SYNC chains that failed (retried later). */
  syncFailures = 0;

  constructor(readonly opts: DeviceOptions) {
    this.view = new DeviceView(opts.deviceId);
  }

  get userId(): string {
    return this.opts.userId;
  }

  get connected(): boolean {
    return this.conn?.open ?? false;
  }

  /** Connects (to some node, retrying across nodes) and catches up; concurrent calls share it. */
  connect(): Promise<void> {
    if (this.connected || this.stopped) return Promise.resolve();
    this.connecting ??= this.connectLoop().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const id = this.nextConnId++;
      try {
        const conn = await openConnection(
          id,
          this.opts.pickUrl(),
          this.opts.token,
          this.opts.transport,
          {
            onFrame: (f, c) => this.onFrame(f, c),
            onClose: (c) => this.onClose(c),
          },
        );
        if (this.stopped) {
          conn.close();
          return;
        }
        this.conn = conn;
        this.connections.push({ id, openedAt: conn.openedAt, closedAt: null });
        this.lastCursor ??= conn.cursor;
        this.opts.journal.count(`connect ${this.opts.transport}`);
        for (const resolve of this.onConnected.splice(0)) resolve();
        void this.sync();
        return;
      } catch {
        this.opts.journal.count('connect failed');
        await sleep(Math.min(2000, 200 + 100 * attempt));
      }
    }
  }

  private onClose(conn: Connection): void {
    const record = this.connections.find((c) => c.id === conn.id);
    if (record) record.closedAt = conn.closedAt;
    if (conn !== this.conn || this.stopped) return;
    this.conn = null;
    this.opts.journal.count('disconnected');
    // Back in a moment, to whichever node answers.
    setTimeout(() => void this.connect(), this.opts.rng.between(100, 800));
  }

  /** A network drop; the device reconnects after `pauseMs`. */
  drop(pauseMs: number): void {
    const conn = this.conn;
    if (!conn) return;
    this.conn = null;
    conn.drop();
    const record = this.connections.find((c) => c.id === conn.id);
    if (record) record.closedAt ??= Date.now();
    this.opts.journal.count('dropped');
    setTimeout(() => void this.connect(), pauseMs);
  }

  /** Closes for good (the end of the run). */
  close(): void {
    this.stopped = true;
    const conn = this.conn;
    this.conn = null;
    conn?.close();
    for (const c of this.connections) c.closedAt ??= Date.now();
  }

  private waitConnected(timeoutMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.onConnected.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // ---- incoming frames ----

  private onFrame(f: Frame, conn: Connection): void {
    const now = Date.now();
    switch (f.type) {
      case 'NEW_MESSAGE':
        this.view.applyMessage(messageOfFrame(f), 'live', conn.id, now);
        if (conn.transport === 'raw' && f.senderId !== this.userId && this.opts.rng.chance(0.5)) {
          conn.send({
            type: 'MARK_DELIVERED',
            conversationId: f.conversationId,
            messageId: f.messageId,
          });
        }
        this.watchGaps();
        if (!this.view.conversations.get(f.conversationId)?.anchored) void this.sync();
        return;
      case 'MESSAGE_UPDATED':
        this.view.applyEdit(f.messageId, {
          content: f.content ?? null,
          updatedAt: f.updatedAt ?? null,
          deleted: false,
        });
        return;
      case 'MESSAGE_DELETED':
        this.view.applyEdit(f.messageId, {
          content: null,
          updatedAt: f.deletedAt ?? null,
          deleted: true,
        });
        return;
      case 'PARTICIPANTS_CHANGED':
        if ((f.added as string[] | undefined)?.includes(this.userId)) void this.sync();
        return;
      case 'MESSAGE_ACK': {
        const rec = this.pending.get(f.tempId);
        if (rec) this.acked(rec, f, conn);
        return;
      }
      case 'ERROR':
        this.opts.journal.error('frame', String(f.code));
        return;
      default:
        return;
    }
  }

  private watchGaps(): void {
    if (this.gapTimer || this.view.gapped().length === 0) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (this.view.gapped().length > 0 && this.connected) {
        this.view.gapSyncs++;
        void this.sync();
      }
    }, GAP_WAIT_MS);
  }

  // ---- SYNC ----

  /** Runs one SYNC chain now (or right after the one running); never rejects. */
  sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        try {
          await this.syncChain();
        } catch {
          this.syncFailures++;
          if (!this.connected) break;
          await sleep(500);
          this.syncAgain = true;
        }
      } while (this.syncAgain && !this.stopped);
    })().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async syncChain(): Promise<void> {
    const conn = this.conn;
    if (!conn?.open) throw new ConnectionClosed('not connected');
    try {
      this.lastCursor = await runSyncChain(
        conn,
        this.view,
        this.opts.journal,
        this.opts.rng,
        this.lastCursor,
      );
    } catch (err) {
      if (err instanceof CursorRejected) this.lastCursor = null;
      throw err;
    }
  }

  // ---- sending ----

  /** Sends one message over the realtime connection, retrying with the same tempId until acked. */
  async send(conversationId: string, tempId: string, content: string): Promise<void> {
    const rec = newSendRecord({
      tempId,
      conversationId,
      senderId: this.userId,
      deviceId: this.opts.deviceId,
      via: 'ws',
      content,
    });
    this.opts.journal.sends.set(tempId, rec);
    this.pending.set(tempId, rec);
    try {
      await sendUntilAcked(rec, {
        conn: () => this.conn,
        waitConnected: (ms) => this.waitConnected(ms),
        journal: this.opts.journal,
        onAck: (f, conn) => this.acked(rec, f, conn),
      });
    } finally {
      this.pending.delete(tempId);
      rec.settledAt = Date.now();
    }
  }

  acked(rec: SendRecord, f: Frame, conn: Connection): void {
    rec.ackIds.add(String(f.messageId));
    rec.ackSeqs.add(Number(f.seq));
    if (rec.ackedAt !== null) return;
    rec.ackedAt = Date.now();
    this.view.applyMessage(
      {
        messageId: String(f.messageId),
        conversationId: rec.conversationId,
        seq: Number(f.seq),
        content: rec.content,
        deletedAt: null,
        updatedAt: null,
      },
      'ack',
      conn.id,
      rec.ackedAt,
    );
    this.watchGaps();
  }
}
