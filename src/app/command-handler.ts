// The one command handler both realtime transports call: a registry of frame type →
// { schema, handler }. Validation, membership checks and error frames happen here, once.
import { AppError, notParticipant } from '../domain/errors';
import { toWireError } from './wire-error';
import { silentLogger, type Logger } from '../observability/logger';
import {
  clientFrameSchemas,
  frame,
  isClientFrameType,
  type ClientFrameType,
  type ClientPayload,
  type ServerFrame,
} from '../protocol/frames';
import type { EphemeralSignals, Store } from '../ports';
import { requireMembership } from './access';
import type { MessageService } from './message-service';
import type { PinService } from './pin-service';
import type { ReactionService } from './reaction-service';
import type { ReceiptService } from './receipt-service';
import type { SyncService } from './sync-service';

export interface CommandContext {
  userId: string;
  username: string;
  /** As when the socket authenticated. */
  avatarUrl: string | null;
  /** The socket the frame came in on. */
  socketId: string;
}

/** A handler's reply frame, or null when the command has none (acks then get `OK`). */
type Handler<K extends ClientFrameType> = (
  ctx: CommandContext,
  payload: ClientPayload<K>,
) => Promise<ServerFrame | null>;

export interface CommandHandlerDeps {
  store: Store;
  messages: MessageService;
  receipts: ReceiptService;
  sync: SyncService;
  signals: EphemeralSignals;
  logger: Logger;
  /** PIN_MESSAGE / UNPIN_MESSAGE; absent: those frames are refused NOT_IMPLEMENTED. */
  pins?: PinService;
  reactions: ReactionService;
}

export class CommandHandler {
  private readonly handlers: { [K in ClientFrameType]: Handler<K> };

  constructor(private readonly deps: CommandHandlerDeps) {
    const { messages, receipts, sync, signals, store, reactions } = deps;
    // REACT / UNREACT answer with the message's reactions as the caller now sees them.
    const react =
      (action: 'added' | 'removed') =>
      async (ctx: CommandContext, p: ClientPayload<'REACT'>): Promise<ServerFrame> => {
        const r = await reactions.react(ctx.userId, p.conversationId, p.messageId, p.emoji, action);
        return frame('MESSAGE_REACTIONS', {
          conversationId: r.conversation_id,
          messageId: r.message_id,
          seq: r.seq,
          userId: ctx.userId,
          emoji: p.emoji,
          action,
          reactions: r.reactions,
        });
      };
    this.handlers = {
      SEND_MESSAGE: async (ctx, p) => {
        const sender = { id: ctx.userId, username: ctx.username, avatarUrl: ctx.avatarUrl };
        const { message } = await messages.send(sender, p.conversationId, {
          content: p.content,
          media: p.media,
          tempId: p.tempId,
          replyToMessageId: p.replyToMessageId,
          originSocketId: ctx.socketId,
          mentions: p.mentions,
        });
        return frame('MESSAGE_ACK', {
          tempId: p.tempId ?? null,
          messageId: message.id,
          conversationId: message.conversation_id,
          seq: message.seq,
          status: 'SENT',
        });
      },
      TYPING: async (ctx, p) => {
        // One read: the participants say whether the typist is one; the exact refusal (no such
        // conversation, or not a participant) is worked out only when they are not.
        const participants = await store.listParticipants(p.conversationId);
        if (!participants.some((x) => x.userId === ctx.userId && x.leftAt === null)) {
          await requireMembership(store, p.conversationId, ctx.userId);
          throw notParticipant(); // joined and left again in between
        }
        const recipients = participants
          .filter((x) => x.leftAt === null && x.userId !== ctx.userId)
          .map((x) => x.userId);
        signals.typing(recipients, {
          conversationId: p.conversationId,
          userId: ctx.userId,
          username: ctx.username,
        });
        return null;
      },
      MARK_SEEN: async (ctx, p) => {
        await receipts.markSeen(ctx.userId, p.conversationId, p.messageId);
        return null;
      },
      MARK_DELIVERED: async (ctx, p) => {
        await receipts.markDelivered(ctx.userId, p.conversationId, p.messageId);
        return null;
      },
      SYNC: async (ctx, p) => frame('SYNC_RESULT', await sync.sync(ctx.userId, p)),
      // Token refresh changes the connection, so the transports answer it; nothing to do here.
      REFRESH_TOKEN: () => Promise.resolve(null),
      ping: () => Promise.resolve(frame('pong', {})),
      PIN_MESSAGE: async (ctx, p) => {
        const state = await requirePins(deps.pins).pin(ctx.userId, p.conversationId, p.messageId);
        return frame('MESSAGE_PINNED', {
          conversationId: state.conversation_id,
          messageId: state.message_id,
          userId: state.pinned_by ?? ctx.userId,
          pinnedAt: state.pinned_at ?? '',
        });
      },
      UNPIN_MESSAGE: async (ctx, p) => {
        const state = await requirePins(deps.pins).unpin(ctx.userId, p.conversationId, p.messageId);
        return frame('MESSAGE_UNPINNED', {
          conversationId: state.conversation_id,
          messageId: state.message_id,
          userId: ctx.userId,
          // Null only for a message that never was pinned: nothing was unpinned.
          unpinnedAt: state.unpinned_at,
        });
      },
      REACT: react('added'),
      UNREACT: react('removed'),
    };
  }

  /** Runs one frame; every failure becomes an ERROR frame (never a thrown error). */
  async execute(type: unknown, payload: unknown, ctx: CommandContext): Promise<ServerFrame | null> {
    const tempId = tempIdOf(payload);
    // Socket.IO lets a client name an event with a number; that is an unknown type, not a bug.
    if (typeof type !== 'string') {
      return errorFrame(new AppError('UNKNOWN_TYPE', 'frame types are strings'), tempId);
    }
    if (!isClientFrameType(type)) {
      return errorFrame(
        new AppError('UNKNOWN_TYPE', `unknown frame type: ${type.slice(0, 64)}`),
        tempId,
      );
    }
    const parsed = clientFrameSchemas[type].safeParse(payload ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return errorFrame(
        new AppError('VALIDATION', `${where}${issue?.message ?? 'invalid frame'}`),
        tempId,
      );
    }
    try {
      // The schema and the handler are looked up by the same key, so the payload fits.
      const handler = this.handlers[type] as (
        c: CommandContext,
        p: unknown,
      ) => Promise<ServerFrame | null>;
      return await handler(ctx, parsed.data);
    } catch (err) {
      return errorFrame(err, tempId, this.deps.logger.child({ type, userId: ctx.userId }));
    }
  }
}

function requirePins(pins: PinService | undefined): PinService {
  if (!pins) throw new AppError('NOT_IMPLEMENTED', 'pins are not enabled on this server');
  return pins;
}

/** The ERROR frame for any error (through the one wire translation; unknown → INTERNAL). */
export function errorFrame(err: unknown, tempId?: string, logger?: Logger): ServerFrame {
  const wire = toWireError(err, logger ?? silentLogger);
  return frame('ERROR', {
    message: wire.message,
    code: wire.code,
    ...(tempId !== undefined && { tempId }),
    ...(wire.retryAfterMs !== undefined && { retryAfterMs: wire.retryAfterMs }),
  });
}

/** A frame's tempId as errors echo it: a string, cut to the longest a tempId may be. */
export function tempIdOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const tempId = (payload as { tempId?: unknown }).tempId;
  return typeof tempId === 'string' ? tempId.slice(0, 128) : undefined;
}
