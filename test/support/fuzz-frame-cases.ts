// Bad client frames for both realtime transports: every frame type of src/protocol/frames.ts with
// one field broken or missing, well-formed frames the rules refuse, deep nesting and frames over
// MAX_FRAME_BYTES. Each case names the ERROR codes that count as the right answer.
import fc from 'fast-check';
import type { ErrorCode } from '../../src/domain/errors';
import { noise, smuggledThroughProto, withOneBadField, withoutRequired } from './fuzz-fields';
import { FRAMES, GOOD_EMOJIS, MEDIA_MAX, MESSAGE_MAX } from './fuzz-specs';
import { deepJson, hexId, longString, unicodeEdgeString, type FuzzValue } from './fuzz-values';
import type { World } from './fuzz-world';

export type ClientType = keyof typeof FRAMES;

export interface FrameCase {
  family: string;
  /** The socket it goes out on: alice's (in every conversation but one) or dave's (in none). */
  from: 'alice' | 'dave';
  /** The frame type / Socket.IO event name; not always a string. */
  type: unknown;
  /** The payload: merged into the raw frame object, the first Socket.IO argument. */
  payload: FuzzValue;
  expect: ErrorCode[];
}

/** MAX_FRAME_BYTES at its default (the fuzz node keeps it). */
export const MAX_FRAME_BYTES = 65536;

/** The payload's string tempId, which command errors echo. */
export function tempIdOf(payload: FuzzValue): string | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const t = (payload as Record<string, FuzzValue>).tempId;
  return typeof t === 'string' ? t : undefined;
}

export function validPayloads(w: World): Record<ClientType, Record<string, FuzzValue>> {
  return {
    SEND_MESSAGE: { conversationId: w.dm, content: 'fuzz' },
    TYPING: { conversationId: w.dm },
    MARK_SEEN: { conversationId: w.group, messageId: w.messages.group.bob[1]! },
    MARK_DELIVERED: { conversationId: w.dm, messageId: w.messages.dm.bob[0]! },
    SYNC: { limit: 10 },
    REFRESH_TOKEN: { token: w.users.alice.token },
    ping: {},
    PIN_MESSAGE: { conversationId: w.dm, messageId: w.messages.dm.bob[0]! },
    UNPIN_MESSAGE: { conversationId: w.dm, messageId: w.messages.dm.bob[0]! },
    // alice reacted 👍 to it (fuzz-world.ts) and not 🎉: either one run would change something.
    REACT: { conversationId: w.dm, messageId: w.messages.dm.bob[0]!, emoji: '🎉' },
    UNREACT: { conversationId: w.dm, messageId: w.messages.dm.bob[0]!, emoji: '👍' },
  };
}

const TYPES = Object.keys(FRAMES) as ClientType[];
const someText = fc
  .oneof(fc.string({ minLength: 1, maxLength: 40 }), unicodeEdgeString)
  .filter((s) => s.trim().length > 0);

/** Adds a tempId (for the echo check) unless the payload has one of its own. */
const withTempId = (
  arb: fc.Arbitrary<Omit<FrameCase, 'payload'> & { payload: Record<string, FuzzValue> }>,
): fc.Arbitrary<FrameCase> =>
  fc
    .tuple(arb, fc.option(fc.string({ minLength: 1, maxLength: 40 }), { freq: 2 }))
    .map(([c, tempId]) =>
      tempId === null || 'tempId' in c.payload ? c : { ...c, payload: { ...c.payload, tempId } },
    );

export function frameCases(w: World): fc.Arbitrary<FrameCase> {
  const valid = validPayloads(w);
  const msgs = w.messages;
  const from = fc.constantFrom<'alice' | 'dave'>('alice', 'alice', 'alice', 'dave');

  const schema = fc
    .constantFrom(...TYPES.filter((t) => t !== 'ping'))
    .chain((type) =>
      fc.tuple(
        fc.constant(type),
        fc.oneof(
          { weight: 4, arbitrary: withOneBadField(FRAMES[type], valid[type]) },
          ...(FRAMES[type].required.length > 0
            ? [
                { weight: 1, arbitrary: withoutRequired(FRAMES[type], valid[type]) },
                { weight: 1, arbitrary: smuggledThroughProto(FRAMES[type], valid[type]) },
              ]
            : []),
        ),
        from,
      ),
    )
    .map(([type, { field, body }, who]) => ({
      family: `schema:${type}.${field}`,
      from: who,
      type,
      payload: body,
      // Content length, blank content and the media count are message rules, checked after
      // membership: dave, in no conversation, hears NOT_PARTICIPANT first.
      expect:
        who === 'dave' && (field === 'content' || field === 'media')
          ? (['VALIDATION', 'NOT_PARTICIPANT'] satisfies ErrorCode[])
          : (['VALIDATION'] satisfies ErrorCode[]),
    }));

  const onConv = (
    type: 'TYPING' | 'MARK_SEEN' | 'MARK_DELIVERED',
    conversationId: string,
  ): Record<string, FuzzValue> =>
    type === 'TYPING' ? { conversationId } : { conversationId, messageId: msgs.dm.bob[0]! };
  const convTypes = fc.constantFrom('TYPING', 'MARK_SEEN', 'MARK_DELIVERED', 'SEND_MESSAGE');
  const semantic: fc.Arbitrary<
    Omit<FrameCase, 'payload'> & { payload: Record<string, FuzzValue> }
  >[] = [
    // Unknown conversations, and conversations the sender is not in.
    fc.tuple(convTypes, hexId, someText).map(([type, id, content]) => ({
      family: `semantic:${type}.unknown-conversation`,
      from: 'alice',
      type,
      payload: type === 'SEND_MESSAGE' ? { conversationId: id, content } : onConv(type, id),
      expect: ['NOT_FOUND'],
    })),
    fc
      .tuple(convTypes, fc.constantFrom(w.dm, w.group, w.otherDm), someText)
      .map(([type, id, content]) => ({
        family: `semantic:${type}.not-participant`,
        from: id === w.otherDm ? 'alice' : 'dave',
        type,
        payload: type === 'SEND_MESSAGE' ? { conversationId: id, content } : onConv(type, id),
        expect: ['NOT_PARTICIPANT'],
      })),
    // Receipts for unknown or misplaced messages.
    fc
      .tuple(fc.constantFrom('MARK_SEEN', 'MARK_DELIVERED'), hexId, fc.boolean())
      .map(([type, unknown, misplaced]) => ({
        family: `semantic:${type}.${misplaced ? 'other-conversation' : 'unknown'}-message`,
        from: 'alice',
        type,
        payload: { conversationId: w.dm, messageId: misplaced ? msgs.group.bob[0]! : unknown },
        expect: misplaced ? ['VALIDATION', 'NOT_FOUND'] : ['NOT_FOUND'],
      })),
    // Sends the message rules refuse.
    fc.tuple(hexId, someText, fc.boolean()).map(([unknown, content, misplaced]) => ({
      family: `semantic:SEND_MESSAGE.reply-${misplaced ? 'elsewhere' : 'unknown'}`,
      from: 'alice',
      type: 'SEND_MESSAGE',
      payload: {
        conversationId: w.dm,
        content,
        replyToMessageId: misplaced ? msgs.otherDm[0]! : unknown,
      },
      expect: [misplaced ? 'VALIDATION' : 'NOT_FOUND'],
    })),
    fc
      .tuple(
        someText.filter((c) => c !== w.aliceTempId.content),
        fc.constantFrom(w.dm, w.group),
      )
      .map(([content, conversationId]) => ({
        family: 'semantic:SEND_MESSAGE.temp-id-reused',
        from: 'alice',
        type: 'SEND_MESSAGE',
        payload: { conversationId, content, tempId: w.aliceTempId.tempId },
        expect: ['IDEMPOTENCY_CONFLICT'],
      })),
    fc
      .oneof(
        longString(MESSAGE_MAX + 1, MESSAGE_MAX * 3).map((content): FuzzValue => ({ content })),
        fc.constantFrom<FuzzValue>({ content: '   ' }, { content: '' }, { content: null }, {}),
        fc.integer({ min: MEDIA_MAX + 1, max: MEDIA_MAX + 20 }).map((n): FuzzValue => ({
          media: Array(n).fill({ url: 'https://example.com/a.png', type: 'image' }),
        })),
      )
      .map((body) => ({
        family: 'semantic:SEND_MESSAGE.body-rules',
        from: 'alice',
        type: 'SEND_MESSAGE',
        payload: { ...(body as object), conversationId: w.group },
        expect: ['VALIDATION'],
      })),
    // Cursors and tokens that are not the sender's.
    fc
      .oneof(hexId, fc.constant(w.bobCursor), fc.string({ minLength: 1, maxLength: 200 }))
      .map((since) => ({
        family: 'semantic:SYNC.foreign-cursor',
        from: 'alice',
        type: 'SYNC',
        payload: { since },
        expect: ['VALIDATION'],
      })),
    fc.oneof(fc.constantFrom(...w.badTokens, w.users.bob.token), someText).map((token) => ({
      family: 'semantic:REFRESH_TOKEN.bad-token',
      from: 'alice',
      type: 'REFRESH_TOKEN',
      payload: { token },
      expect: ['UNAUTHORIZED'],
    })),
    // Pins (§5.13) and reactions (§5.12): unknown, foreign or misplaced targets, and a deleted
    // message (not pinned: VALIDATION; no reactions on it either way: CONFLICT).
    ...targetFrameCases(w, ['PIN_MESSAGE', 'UNPIN_MESSAGE'], fc.constant({}), {
      types: ['PIN_MESSAGE'],
      code: 'VALIDATION',
    }),
    ...targetFrameCases(
      w,
      ['REACT', 'UNREACT'],
      someEmoji.map((emoji) => ({ emoji })),
      {
        types: ['REACT', 'UNREACT'],
        code: 'CONFLICT',
      },
    ),
  ];

  // Any type, nested past the bound in an extra field, or past MAX_FRAME_BYTES.
  const deep = fc.tuple(fc.constantFrom(...TYPES), deepJson(), from).map(([type, d, who]) => ({
    family: `deep:${type}`,
    from: who,
    type,
    payload: { ...valid[type], x: d },
    expect: ['VALIDATION'] as ErrorCode[],
  }));
  const large = fc
    .tuple(
      fc.constantFrom(...TYPES),
      fc.integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES * 3 }),
      from,
    )
    .map(([type, size, who]) => ({
      family: `too-large:${type}`,
      from: who,
      type,
      payload: { ...valid[type], pad: 'p'.repeat(size) },
      expect: ['FRAME_TOO_LARGE'] as ErrorCode[],
    }));

  return fc
    .oneof(
      { weight: 8, arbitrary: withTempId(schema) },
      { weight: 4, arbitrary: withTempId(fc.oneof(...semantic)) },
      { weight: 1, arbitrary: deep },
      { weight: 1, arbitrary: large },
    )
    .chain((c) =>
      fc
        .option(noise, { freq: 3 })
        .map((extra) =>
          extra === null || typeof c.payload !== 'object'
            ? c
            : { ...c, payload: { ...extra, ...(c.payload as object) } },
        ),
    );
}

/** Type names the server does not know (server frame names, near misses, odd strings). */
export const unknownTypeName: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(
      'PING',
      'Ping',
      'send_message',
      'SEND_MESSAGE ',
      ' TYPING',
      'pong',
      'connected',
      'ERROR',
      'NEW_MESSAGE',
      'MESSAGE_ACK',
      'SYNC_RESULT',
      'OK',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '',
      'ping\u0000',
    ),
    fc.string({ maxLength: 20 }),
    unicodeEdgeString,
    longString(100, 5000),
  )
  .filter((t) => !(TYPES as string[]).includes(t));

type SemanticFrame = Omit<FrameCase, 'payload'> & { payload: Record<string, FuzzValue> };

/** A refusal of a frame carrying one of these comes from its target. */
const someEmoji = fc.constantFrom(...GOOD_EMOJIS);

/**
 * Frames on one message of a conversation (`types`, alice the group's admin) the rules refuse:
 * unknown conversations, conversations the sender is not in, unknown messages or those of another
 * conversation, and (`deleted.types`) the group's deleted message. `extra` completes a payload.
 */
function targetFrameCases(
  w: World,
  types: ClientType[],
  extra: fc.Arbitrary<Record<string, FuzzValue>>,
  deleted: { types: ClientType[]; code: ErrorCode },
): fc.Arbitrary<SemanticFrame>[] {
  const msgs = w.messages;
  const anyType = fc.constantFrom(...types);
  return [
    fc.tuple(anyType, hexId, extra).map(([type, id, more]) => ({
      family: `semantic:${type}.unknown-conversation`,
      from: 'alice',
      type,
      payload: { ...more, conversationId: id, messageId: msgs.dm.bob[0]! },
      expect: ['NOT_FOUND'],
    })),
    fc
      .tuple(
        anyType,
        fc.constantFrom<[string, string]>(
          [w.dm, msgs.dm.bob[0]!],
          [w.group, msgs.group.bob[0]!],
          [w.otherDm, msgs.otherDm[0]!],
        ),
        extra,
      )
      .map(([type, [conversationId, messageId], more]) => ({
        family: `semantic:${type}.not-participant`,
        from: conversationId === w.otherDm ? 'alice' : 'dave',
        type,
        payload: { ...more, conversationId, messageId },
        expect: ['NOT_PARTICIPANT'],
      })),
    fc
      .tuple(anyType, fc.oneof(hexId, fc.constantFrom(msgs.group.bob[0]!, msgs.otherDm[0]!)), extra)
      .map(([type, messageId, more]) => ({
        family: `semantic:${type}.unknown-or-elsewhere-message`,
        from: 'alice',
        type,
        payload: { ...more, conversationId: w.dm, messageId },
        expect: ['NOT_FOUND'],
      })),
    fc.tuple(fc.constantFrom(...deleted.types), extra).map(([type, more]) => ({
      family: `semantic:${type}.deleted-message`,
      from: 'alice',
      type,
      payload: { ...more, conversationId: w.group, messageId: msgs.group.deleted },
      expect: [deleted.code],
    })),
  ];
}
