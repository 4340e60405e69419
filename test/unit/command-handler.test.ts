// CommandHandler through execute(), over MemoryStore and the real services: every failure comes
// back as one ERROR frame with the right code — never a throw, never a leaked detail.
import pino from 'pino';
import { MemoryEventBus } from '../../src/adapters/bus/memory-event-bus';
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { CommandHandler, type CommandContext } from '../../src/app/command-handler';
import { MessageService, type SendLimiter } from '../../src/app/message-service';
import { ReceiptService } from '../../src/app/receipt-service';
import { ReactionService } from '../../src/app/reaction-service';
import { SyncService } from '../../src/app/sync-service';
import { AppError, UnavailableError, rateLimited } from '../../src/domain/errors';
import { newObjectId } from '../../src/domain/ids';
import type { Store } from '../../src/ports';
import { aConversation, aParticipant, aUser } from '../support/factories';

interface Typed {
  recipients: readonly string[];
  signal: { conversationId: string; userId: string; username: string };
}

/** A handler over a fresh MemoryStore; `override` replaces store methods to inject failures. */
async function setUp(
  override: Partial<Store> = {},
  sendLimiter: SendLimiter = { consume: () => Promise.resolve() },
) {
  const memory = createMemoryStore();
  const store: Store = { ...memory, ...override };
  const logged: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const bus = new MemoryEventBus(logger);
  const clock = (): Date => new Date();
  const messages = new MessageService({
    store,
    bus,
    clock,
    limits: { maxMessageLength: 100, maxMediaItems: 2 },
    sendLimiter,
    logger,
  });
  const typed: Typed[] = [];
  const commands = new CommandHandler({
    store,
    messages,
    receipts: new ReceiptService({ store, bus, clock }),
    sync: new SyncService({ store, messages, clock }),
    signals: { typing: (recipients, signal) => typed.push({ recipients, signal }) },
    logger,
    reactions: new ReactionService({ store, bus, clock }),
  });

  // alice and bob share a group; carol was in it and left; dave was never in it.
  const [alice, bob, carol, dave] = [aUser(), aUser(), aUser(), aUser()];
  const group = aConversation();
  for (const user of [alice, bob, carol, dave]) await memory.insertUser(user);
  await memory.insertConversation(group);
  await memory.upsertParticipant(aParticipant(group.id, alice.id, { role: 'ADMIN' }));
  await memory.upsertParticipant(aParticipant(group.id, bob.id));
  await memory.upsertParticipant(aParticipant(group.id, carol.id, { leftAt: new Date() }));
  const as = (user: { id: string; username: string }): CommandContext => ({
    userId: user.id,
    username: user.username,
    avatarUrl: null,
    socketId: `socket-${user.id}`,
  });
  return { commands, logged, typed, group, alice, bob, carol, dave, as };
}

describe('CommandHandler', () => {
  it('answers the commands it knows: MESSAGE_ACK with seq, pong, TYPING to the others only', async () => {
    const { commands, typed, group, alice, bob, as } = await setUp();
    const ack = await commands.execute(
      'SEND_MESSAGE',
      { conversationId: group.id, content: 'hi', tempId: 't-1' },
      as(alice),
    );
    expect(ack).toEqual({
      type: 'MESSAGE_ACK',
      tempId: 't-1',
      messageId: expect.stringMatching(/^[0-9a-f]{24}$/),
      conversationId: group.id,
      seq: 1,
      status: 'SENT',
    });
    expect(await commands.execute('ping', undefined, as(alice))).toEqual({ type: 'pong' });
    expect(await commands.execute('TYPING', { conversationId: group.id }, as(alice))).toBeNull();
    // carol left and alice is the typist: bob alone is told
    expect(typed).toEqual([
      {
        recipients: [bob.id],
        signal: { conversationId: group.id, userId: alice.id, username: alice.username },
      },
    ]);
  });

  it.each(['LAUNCH_ROCKETS', 'toString', '__proto__', 'ERROR'])(
    'answers the unknown type %s with UNKNOWN_TYPE, echoing the tempId',
    async (type) => {
      const { commands, alice, as } = await setUp();
      expect(await commands.execute(type, { tempId: 't-u' }, as(alice))).toEqual({
        type: 'ERROR',
        code: 'UNKNOWN_TYPE',
        message: `unknown frame type: ${type}`,
        tempId: 't-u',
      });
    },
  );

  it('bounds the type it repeats back', async () => {
    const { commands, alice, as } = await setUp();
    const reply = await commands.execute('X'.repeat(10_000), {}, as(alice));
    expect(reply).toEqual({
      type: 'ERROR',
      code: 'UNKNOWN_TYPE',
      message: `unknown frame type: ${'X'.repeat(64)}`,
    });
  });

  it.each([
    ['a bad id', { conversationId: 'nope', content: 'x' }, /^conversationId: /],
    ['a missing id', { content: 'x' }, /^conversationId: Required$/],
    [
      'a nested field',
      {
        conversationId: newObjectId(),
        media: [
          { url: 'https://cdn.test/a.png', type: 'image' },
          { url: 'ftp://x', type: 'image' },
        ],
      },
      /^media\.1\.url: /,
    ],
  ])('answers %s with VALIDATION naming the field path', async (_, payload, message) => {
    const { commands, alice, as } = await setUp();
    const reply = await commands.execute('SEND_MESSAGE', { ...payload, tempId: 't-v' }, as(alice));
    expect(reply).toEqual({
      type: 'ERROR',
      code: 'VALIDATION',
      message: expect.stringMatching(message),
      tempId: 't-v',
    });
  });

  it('answers a payload that is not an object with VALIDATION, without a path', async () => {
    const { commands, alice, as } = await setUp();
    expect(await commands.execute('TYPING', 'hello', as(alice))).toEqual({
      type: 'ERROR',
      code: 'VALIDATION',
      message: expect.stringMatching(/^[^:]*object/i),
    });
  });

  it('answers an AppError a service throws with its own code and message', async () => {
    const { commands, group, carol, dave, as } = await setUp();
    for (const user of [carol, dave]) {
      expect(
        await commands.execute(
          'SEND_MESSAGE',
          { conversationId: group.id, content: 'let me in', tempId: 't-p' },
          as(user),
        ),
      ).toEqual({
        type: 'ERROR',
        code: 'NOT_PARTICIPANT',
        message: 'you are not a participant of this conversation',
        tempId: 't-p',
      });
    }
    expect(
      await commands.execute(
        'MARK_SEEN',
        { conversationId: newObjectId(), messageId: newObjectId() },
        as(dave),
      ),
    ).toEqual({ type: 'ERROR', code: 'NOT_FOUND', message: 'conversation not found' });
  });

  it('never sends an AppError’s details', async () => {
    const { commands, group, alice, as } = await setUp({
      listParticipants: () =>
        Promise.reject(new AppError('CONFLICT', 'it moved', { internalId: 'secret-42' })),
    });
    const reply = await commands.execute('TYPING', { conversationId: group.id }, as(alice));
    expect(reply).toEqual({ type: 'ERROR', code: 'CONFLICT', message: 'it moved' });
  });

  it('answers an unknown error with INTERNAL, logging it but leaking nothing', async () => {
    const secret = 'mongodb://admin:hunter2@db.internal/parley';
    const { commands, logged, group, alice, as } = await setUp({
      appendMessage: () => Promise.reject(new TypeError(`cannot read ${secret}`)),
    });
    const reply = await commands.execute(
      'SEND_MESSAGE',
      { conversationId: group.id, content: 'x', tempId: 't-i' },
      as(alice),
    );
    expect(reply).toEqual({
      type: 'ERROR',
      code: 'INTERNAL',
      message: 'internal server error',
      tempId: 't-i',
    });
    expect(JSON.stringify(reply)).not.toContain('hunter2');
    // The operator sees what the client does not, bound to the frame and the user.
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 50,
        type: 'SEND_MESSAGE',
        userId: alice.id,
        err: expect.objectContaining({ message: `cannot read ${secret}` }),
      }),
    );
  });

  it('keeps retryAfterMs on UNAVAILABLE and RATE_LIMITED', async () => {
    const unavailable = await setUp({
      appendMessage: () =>
        Promise.reject(new UnavailableError('the database', new Error('pool cleared'), 2500)),
    });
    expect(
      await unavailable.commands.execute(
        'SEND_MESSAGE',
        { conversationId: unavailable.group.id, content: 'x', tempId: 't-a' },
        unavailable.as(unavailable.alice),
      ),
    ).toEqual({
      type: 'ERROR',
      code: 'UNAVAILABLE',
      message: 'the database is unavailable; retry shortly',
      retryAfterMs: 2500,
      tempId: 't-a',
    });

    const limited = await setUp(
      {},
      { consume: () => Promise.reject(rateLimited('slow down', 1234.2)) },
    );
    expect(
      await limited.commands.execute(
        'SEND_MESSAGE',
        { conversationId: limited.group.id, content: 'x', tempId: 't-r' },
        limited.as(limited.alice),
      ),
    ).toEqual({
      type: 'ERROR',
      code: 'RATE_LIMITED',
      message: 'slow down',
      retryAfterMs: 1235,
      tempId: 't-r',
    });
  });

  it('echoes only a string tempId, at most 128 characters of it', async () => {
    const { commands, alice, as } = await setUp();
    const long = await commands.execute('NOPE', { tempId: 'x'.repeat(500) }, as(alice));
    expect(long).toMatchObject({ code: 'UNKNOWN_TYPE', tempId: 'x'.repeat(128) });
    const numeric = await commands.execute('NOPE', { tempId: 42 }, as(alice));
    expect(numeric).toEqual({
      type: 'ERROR',
      code: 'UNKNOWN_TYPE',
      message: 'unknown frame type: NOPE',
    });
  });
});
