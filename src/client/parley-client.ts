// A thin, typed helper over socket.io-client: sends that resolve with their MESSAGE_ACK (retried
// with the same tempId), NEW_MESSAGE acknowledged as delivered, seq tracking with gap fill, and
// catch-up with SYNC after every reconnect (docs/PROTOCOL.md, ordering and SYNC).
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  ClientFrameType,
  ServerFrame,
  ServerFrameType,
  ServerPayload,
} from '../protocol/frames';
import type { BlockState, PinnedMessage } from '../protocol/rest';
import { listBlocks, setBlocked, type BlockListPage, type BlockListQuery } from './blocks';
import { ParleyClientError, RETRYABLE_CODES } from './errors';
import { searchMessages, type MessageSearchPage, type MessageSearchQuery } from './message-search';
import { listPins } from './pins';
import { Positions } from './positions';

export interface ConnectOptions {
  /** Server base URL, e.g. `http://localhost:8000`. */
  url: string;
  /** Bearer token (from /auth/login or your platform). */
  token: string;
  /** Socket.IO transports, in order. @default ['websocket', 'polling'] */
  transport?: ('websocket' | 'polling')[];
  /** How long one send attempt waits for its MESSAGE_ACK. @default 10000 */
  ackTimeoutMs?: number;
  /** Attempts per send (timeouts, reconnects, retryable errors) before it rejects. @default 5 */
  maxAttempts?: number;
  /** Acknowledge every NEW_MESSAGE (the delivery receipt). @default true */
  acknowledgeDelivery?: boolean;
  /** Per-conversation seqs the app already holds (e.g. loaded over REST). @default {} */
  positions?: Record<string, number>;
  /** Passed through to socket.io-client. */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

export interface SendInput {
  conversationId: string;
  content?: string | null;
  media?: {
    url: string;
    type: 'image' | 'video';
    thumbnailUrl?: string;
    width?: number;
    height?: number;
    duration?: number;
  }[];
  replyToMessageId?: string | null;
  /** Idempotency key; generated when omitted, and kept across retries. */
  tempId?: string;
  /** Users to mention besides the `@username`s in `content` (up to 50 ids; §5.11). */
  mentions?: string[] | null;
}

type Handler<K extends ServerFrameType> = (payload: ServerPayload<K>) => void;
type AnyHandler = (payload: unknown) => void;

/** Server frames the client forwards as they come (NEW_MESSAGE goes through seq tracking). */
const FORWARDED: ServerFrameType[] = [
  'connected',
  'MESSAGE_STATUS',
  'MESSAGE_SEEN',
  'TYPING',
  'ERROR',
  'MESSAGE_UPDATED',
  'MESSAGE_DELETED',
  'PARTICIPANTS_CHANGED',
  'CONVERSATION_MUTED',
  'MESSAGE_REACTIONS',
  'SEQ_GAP',
  'TOKEN_REFRESHED',
  'RECONNECT',
  'MESSAGE_PINNED',
  'MESSAGE_UNPINNED',
];

/** Pages of one catch-up; a bound so a broken cursor cannot loop forever. */
const MAX_SYNC_PAGES = 100;

let tempCounter = 0;
const newTempId = (): string =>
  `c-${Date.now().toString(36)}-${(tempCounter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export class ParleyClient {
  readonly socket: Socket;
  readonly positions = new Positions();
  private readonly handlers = new Map<string, Set<AnyHandler>>();
  /** Incoming messages and catch-ups run one at a time, so per-conversation order holds. */
  private inbound: Promise<void> = Promise.resolve();
  private cursor: string | null = null;
  private greeted = false;
  private closed = false;
  private readonly options: Required<
    Omit<ConnectOptions, 'socketOptions' | 'positions' | 'transport'>
  >;

  constructor(options: ConnectOptions) {
    this.options = {
      url: options.url,
      token: options.token,
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      maxAttempts: options.maxAttempts ?? 5,
      acknowledgeDelivery: options.acknowledgeDelivery ?? true,
    };
    for (const [id, seq] of Object.entries(options.positions ?? {}))
      this.positions.advance(id, seq);
    this.socket = io(options.url, {
      transports: options.transport ?? ['websocket', 'polling'],
      auth: { token: options.token },
      ...options.socketOptions,
    });
    for (const type of FORWARDED) {
      this.socket.on(type, (payload: unknown) => {
        if (type === 'connected') this.onGreeting(payload as ServerPayload<'connected'>);
        else if (type === 'SEQ_GAP') this.onSeqGap(payload as ServerPayload<'SEQ_GAP'>);
        else this.dispatch(type, payload);
      });
    }
    this.socket.on(
      'NEW_MESSAGE',
      (payload: ServerPayload<'NEW_MESSAGE'>, ack?: (r: unknown) => void) => {
        if (ack && this.options.acknowledgeDelivery) ack({});
        this.inBackground(this.serially(() => this.onNewMessage(payload)));
      },
    );
  }

  /** True while the socket is connected. */
  get connected(): boolean {
    return this.socket.connected;
  }

  /** Subscribes to a server frame; returns the unsubscribe function. */
  on<K extends ServerFrameType>(type: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler as AnyHandler);
    return () => set.delete(handler as AnyHandler);
  }

  /** Sends a message; resolves with its MESSAGE_ACK, retrying with the same tempId. */
  async send(input: SendInput): Promise<ServerPayload<'MESSAGE_ACK'>> {
    const tempId = input.tempId ?? newTempId();
    const payload = { ...input, tempId };
    let lastError = new ParleyClientError('TIMEOUT', 'no MESSAGE_ACK');
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      this.assertOpen();
      await this.untilConnected();
      const reply = await this.emitOnce('SEND_MESSAGE', payload);
      if (reply === 'timeout' || reply === 'disconnected') continue;
      if (reply.type === 'MESSAGE_ACK') {
        const ack: ServerPayload<'MESSAGE_ACK'> = {
          tempId: reply.tempId,
          messageId: reply.messageId,
          conversationId: reply.conversationId,
          seq: reply.seq,
          status: reply.status,
        };
        // Only the next seq moves the position: an earlier one still on its way must not look
        // like a duplicate.
        if (
          this.positions.judge(ack.conversationId, ack.seq) === 'next' &&
          this.positions.get(ack.conversationId) !== undefined
        )
          this.positions.advance(ack.conversationId, ack.seq);
        return ack;
      }
      if (reply.type !== 'ERROR')
        throw new ParleyClientError('PROTOCOL', `unexpected ${reply.type}`);
      lastError = new ParleyClientError(reply.code, reply.message, reply.retryAfterMs);
      if (!RETRYABLE_CODES.has(reply.code)) throw lastError;
      await this.sleep(reply.retryAfterMs ?? Math.min(250 * 2 ** attempt, 5000));
    }
    throw lastError;
  }

  /** TYPING for a conversation (best effort; errors arrive as ERROR frames). */
  typing(conversationId: string): void {
    this.socket.emit('TYPING', { conversationId });
  }

  /** Marks a conversation seen up to a message. */
  async markSeen(conversationId: string, messageId: string): Promise<void> {
    await this.request('MARK_SEEN', { conversationId, messageId });
  }

  /** Searches the messages of the user's conversations (REST, docs/PROTOCOL.md §5.14). */
  searchMessages(query: MessageSearchQuery): Promise<MessageSearchPage> {
    this.assertOpen();
    return searchMessages(this.server(), query);
  }

  /** Reacts to a message with an emoji (a repeat changes nothing); resolves with its reactions. */
  react(
    conversationId: string,
    messageId: string,
    emoji: string,
  ): Promise<ServerPayload<'MESSAGE_REACTIONS'>> {
    return this.reactionRequest('REACT', { conversationId, messageId, emoji });
  }

  /** Removes this user's reaction with an emoji; resolves with the message's reactions. */
  unreact(
    conversationId: string,
    messageId: string,
    emoji: string,
  ): Promise<ServerPayload<'MESSAGE_REACTIONS'>> {
    return this.reactionRequest('UNREACT', { conversationId, messageId, emoji });
  }

  private async reactionRequest(
    type: 'REACT' | 'UNREACT',
    payload: { conversationId: string; messageId: string; emoji: string },
  ): Promise<ServerPayload<'MESSAGE_REACTIONS'>> {
    const reply = await this.request(type, payload);
    if (reply.type !== 'MESSAGE_REACTIONS')
      throw new ParleyClientError('PROTOCOL', `unexpected ${reply.type}`);
    return {
      conversationId: reply.conversationId,
      messageId: reply.messageId,
      seq: reply.seq,
      userId: reply.userId,
      emoji: reply.emoji,
      action: reply.action,
      reactions: reply.reactions,
    };
  }

  /** Pins a message (GROUP: admins; DIRECT: either participant); resolves with MESSAGE_PINNED. */
  async pin(conversationId: string, messageId: string): Promise<ServerPayload<'MESSAGE_PINNED'>> {
    return this.pinFrame('PIN_MESSAGE', 'MESSAGE_PINNED', conversationId, messageId);
  }

  /** Unpins a message (same rights as pinning); resolves with MESSAGE_UNPINNED. */
  async unpin(
    conversationId: string,
    messageId: string,
  ): Promise<ServerPayload<'MESSAGE_UNPINNED'>> {
    return this.pinFrame('UNPIN_MESSAGE', 'MESSAGE_UNPINNED', conversationId, messageId);
  }

  /** A conversation's pinned messages, newest pin first (REST, docs/PROTOCOL.md §5.13). */
  listPins(conversationId: string): Promise<PinnedMessage[]> {
    this.assertOpen();
    return listPins(this.server(), conversationId);
  }

  /**
   * Blocks a user (REST, docs/PROTOCOL.md §5.15): neither of you can write to your DIRECT, and they
   * can no longer open it nor find you; repeatable, keeping the first `blocked_at`.
   */
  block(userId: string): Promise<BlockState> {
    this.assertOpen();
    return setBlocked(this.server(), userId, true);
  }

  /** Undoes this user's block (REST); harmless when there is none. */
  unblock(userId: string): Promise<BlockState> {
    this.assertOpen();
    return setBlocked(this.server(), userId, false);
  }

  /** The users this user blocks, newest block first, a page at a time (REST). */
  listBlocks(query: BlockListQuery = {}): Promise<BlockListPage> {
    this.assertOpen();
    return listBlocks(this.server(), query);
  }

  /** Sends a client frame and resolves with the server's reply frame (ERROR rejects). */
  async request(type: ClientFrameType, payload: object): Promise<ServerFrame> {
    this.assertOpen();
    await this.untilConnected();
    const reply = await this.emitOnce(type, payload);
    if (reply === 'timeout' || reply === 'disconnected')
      throw new ParleyClientError('TIMEOUT', `${type}: no reply`);
    if (reply.type === 'ERROR')
      throw new ParleyClientError(reply.code, reply.message, reply.retryAfterMs);
    return reply;
  }

  /** Fetches what this client missed (SYNC with its cursor and positions) and dispatches it. */
  catchUp(): Promise<void> {
    return this.serially(() =>
      this.runSync({ since: this.cursor, positions: this.positions.snapshot() }),
    );
  }

  /** Disconnects for good; pending sends reject with CLOSED. */
  close(): void {
    this.closed = true;
    this.socket.removeAllListeners();
    this.socket.disconnect();
    this.handlers.clear();
  }

  private async pinFrame<K extends 'MESSAGE_PINNED' | 'MESSAGE_UNPINNED'>(
    type: 'PIN_MESSAGE' | 'UNPIN_MESSAGE',
    replyType: K,
    conversationId: string,
    messageId: string,
  ): Promise<ServerPayload<K>> {
    const { type: got, ...payload } = await this.request(type, { conversationId, messageId });
    if (got !== replyType) throw new ParleyClientError('PROTOCOL', `unexpected ${got}`);
    return payload as ServerPayload<K>;
  }

  /** Where REST calls go, and with which token. */
  private server(): { url: string; token: string } {
    return { url: this.options.url, token: this.options.token };
  }

  // ---- inbound ----

  private onGreeting(greeting: ServerPayload<'connected'>): void {
    const first = !this.greeted;
    this.greeted = true;
    if (first) this.cursor = greeting.cursor;
    this.dispatch('connected', greeting);
    // After a reconnect, what happened while away comes from SYNC, from where we were.
    if (!first) {
      this.inBackground(this.catchUp());
    }
  }

  private onSeqGap(gap: ServerPayload<'SEQ_GAP'>): void {
    this.inBackground(
      this.serially(() => {
        this.positions.skip(gap.conversationId, gap.fromSeq, gap.toSeq);
        this.dispatch('SEQ_GAP', gap);
        return Promise.resolve();
      }),
    );
  }

  private async onNewMessage(message: ServerPayload<'NEW_MESSAGE'>): Promise<void> {
    const verdict = this.positions.judge(message.conversationId, message.seq);
    if (verdict === 'duplicate') return;
    if (verdict === 'gap') {
      // Fetch the missing seqs (this one comes with them), then deliver in order.
      await this.runSync({
        positions: { [message.conversationId]: this.positions.get(message.conversationId) ?? 0 },
      });
      if (this.positions.judge(message.conversationId, message.seq) === 'duplicate') return;
    }
    this.positions.advance(message.conversationId, message.seq);
    this.dispatch('NEW_MESSAGE', message);
  }

  private async runSync(request: {
    since?: string | null;
    positions?: Record<string, number>;
  }): Promise<void> {
    let next: { since?: string | null; positions?: Record<string, number> } = request;
    for (let page = 0; page < MAX_SYNC_PAGES; page++) {
      const reply = await this.request('SYNC', { ...next, limit: 500 });
      if (reply.type !== 'SYNC_RESULT') return;
      for (const event of reply.events as ServerFrame[]) this.applySynced(event);
      if (reply.next_cursor !== null) this.cursor = reply.next_cursor;
      if (!reply.has_more) return;
      next = { since: reply.next_cursor };
    }
  }

  private applySynced(event: ServerFrame): void {
    const { type, ...payload } = event;
    if (type === 'NEW_MESSAGE') {
      const message = payload as ServerPayload<'NEW_MESSAGE'>;
      if (this.positions.judge(message.conversationId, message.seq) === 'duplicate') return;
      this.positions.advance(message.conversationId, message.seq);
    } else if (type === 'SEQ_GAP') {
      const gap = payload as ServerPayload<'SEQ_GAP'>;
      this.positions.skip(gap.conversationId, gap.fromSeq, gap.toSeq);
    }
    this.dispatch(type, payload);
  }

  private dispatch(type: string, payload: unknown): void {
    for (const handler of this.handlers.get(type) ?? []) handler(payload);
  }

  /** A failed catch-up or gap fill is reported to `on('ERROR')` as SYNC_FAILED, not thrown. */
  private inBackground(task: Promise<void>): void {
    task.catch((err: unknown) => {
      this.dispatch('ERROR', { code: 'SYNC_FAILED', message: String(err) });
    });
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.inbound.then(task);
    this.inbound = run.catch(() => undefined);
    return run;
  }

  // ---- outbound ----

  /** One emit with an acknowledgement: the reply frame, or why none came. */
  private emitOnce(
    type: string,
    payload: object,
  ): Promise<ServerFrame | 'timeout' | 'disconnected'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        finish('timeout');
      }, this.options.ackTimeoutMs);
      const onDisconnect = (): void => {
        finish('disconnected');
      };
      const finish = (result: ServerFrame | 'timeout' | 'disconnected'): void => {
        clearTimeout(timer);
        this.socket.off('disconnect', onDisconnect);
        resolve(result);
      };
      this.socket.once('disconnect', onDisconnect);
      this.socket.emit(type, payload, (reply: ServerFrame) => {
        finish(reply);
      });
    });
  }

  private untilConnected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = setInterval(() => {
        if (this.closed) {
          clearInterval(check);
          reject(new ParleyClientError('CLOSED', 'client closed'));
        }
      }, 100);
      this.socket.once('connect', () => {
        clearInterval(check);
        resolve();
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private assertOpen(): void {
    if (this.closed) throw new ParleyClientError('CLOSED', 'client closed');
  }
}
