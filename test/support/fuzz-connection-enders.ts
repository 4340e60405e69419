// Inputs that end the connection they came on, by design: a raw frame over the hard bound
// (close 1009), a raw text frame that is not UTF-8 (close 1007, RFC 6455 §8.1), a Socket.IO
// payload over its transport's bound, and packets Socket.IO's own parser refuses. The fuzz
// checks they end only that connection, cleanly, and change nothing.
import fc from 'fast-check';
import { hardFrameLimit } from '../../src/realtime/socket-server';
import { MAX_FRAME_BYTES } from './fuzz-frame-cases';
import { invalidUtf8Mark, toBytes, toJson, unicodeEdgeString } from './fuzz-values';
import type { World } from './fuzz-world';

export interface RawEnder {
  family: string;
  data: Buffer;
  binary: boolean;
  /** The close code the server must end the socket with. */
  closeCode: number;
}

const HARD_BOUND = hardFrameLimit(MAX_FRAME_BYTES);

export function rawEnders(w: World): fc.Arbitrary<RawEnder> {
  const overBound = fc
    .tuple(fc.integer({ min: 1, max: 200_000 }), fc.boolean())
    .map(([extra, binary]) => ({
      family: 'closes:over-hard-bound',
      data: Buffer.from(
        toJson({
          type: 'SEND_MESSAGE',
          conversationId: w.dm,
          content: 'x'.repeat(HARD_BOUND + extra),
        }),
      ),
      binary,
      closeCode: 1009,
    }));
  const notUtf8 = fc
    .tuple(
      fc.constantFrom('SEND_MESSAGE', 'ping', 'SYNC'),
      invalidUtf8Mark,
      fc.oneof(fc.string({ maxLength: 20 }), unicodeEdgeString),
    )
    .map(([type, mark, text]) => ({
      family: 'closes:text-not-utf8',
      data: toBytes(toJson({ type, conversationId: w.dm, content: `${text}${mark}` })),
      binary: false,
      closeCode: 1007,
    }));
  return fc.oneof({ weight: 1, arbitrary: overBound }, { weight: 4, arbitrary: notUtf8 });
}

/**
 * Engine.IO message bodies Socket.IO's parser refuses (reserved or missing event names, broken
 * JSON, unknown packet types, binary packets whose attachments never come) or that exceed its
 * bound. Each ends that one connection or is ignored; none may do more.
 */
export const socketIoGarbage: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '2["connect",{}]',
    '2["disconnect"]',
    '2["connect_error",{}]',
    '2["newListener",{}]',
    '2["removeListener",{}]',
    '2[',
    '2"x"',
    '2[{}]',
    '2[]',
    '2[null]',
    '2[true]',
    '2{"type":"ping"}',
    '9',
    '7',
    '5',
    '3',
    '51-["ping",{"_placeholder":true,"num":9}]',
    '0{"token":"x"}',
    '0/nope,{}',
    '2/nope,["ping"]',
    '4"boom"',
    '',
  ),
  fc.string({ maxLength: 30 }).map((s) => `2${s}`),
  fc
    .integer({ min: 1, max: 200_000 })
    .map((extra) => `2["ping",{"x":"${'x'.repeat(HARD_BOUND + extra)}"}]`),
  fc.integer({ min: 1000, max: 100_000 }).map((n) => `2${'['.repeat(n)}`),
);
