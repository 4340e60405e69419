// The translation between raw-WebSocket JSON frames and the Socket.IO packets the bridged
// connection speaks, built on socket.io-parser; the few layouts every message uses are written
// here directly, and the unit tests hold them equal to the parser's.
// Client frames are checked here (size already gated, then depth, JSON, shape, known type)
// before any packet is built: socket.io would close the connection on undecodable input.
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { AppError } from '../domain/errors';
import { isClientFrameType, type ClientFrameType } from '../protocol/frames';
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  jsonTextTooDeep,
  MAX_JSON_DEPTH,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  tooDeepMessage,
} from '../protocol/json-limits';

const NAMESPACE = '/';

/** What a raw socket answers to a Socket.IO acknowledgement request: "I cannot acknowledge". */
/** The handshake refusal message when the token could not be checked (a dependency is down). */
export const UNAVAILABLE_REFUSAL = 'unavailable';

export const RAW_NO_ACK = { parleyRawSocket: true } as const;
export const isRawNoAck = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  (value as { parleyRawSocket?: unknown }).parleyRawSocket === true;

/** A JSON frame as a raw client sends or receives it: an object with a string `type`. */
export type JsonFrame = { type: string } & Record<string, unknown>;

export type ClientFrameResult =
  | { ok: true; type: ClientFrameType; payload: Record<string, unknown> }
  | { ok: false; error: AppError; tempId?: string };

/**
 * Whether JSON text may hold a number beyond a double's range (which parses to ±Infinity): only
 * an exponent of three or more digits, or a run of 200 or more digits, can reach 1.8e308 (a
 * shorter run times a two-digit exponent stays below 1e299). The exponent counts only after a
 * number's digits where a value may start (the text's start, `:`, `[` or `,`, then whitespace):
 * the ids every frame carries are hex, and "…e123…" in one of them sent nearly every frame
 * through the slower parse. Matches inside strings only cost that parse.
 */
const MAY_OVERFLOW = /(?:^|[[:,])\s*-?\d+(?:\.\d+)?[eE][+-]?\d{3}|\d{200}/;

/** Reads one client frame (UTF-8 text or bytes) into a known type and its payload, or an error. */
export function readClientFrame(
  data: string | Buffer,
  maxDepth: number = MAX_JSON_DEPTH,
): ClientFrameResult {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  // Before JSON.parse: the parse itself copes, but what walks the result afterwards may not.
  if (jsonTextTooDeep(text, maxDepth)) {
    return { ok: false, error: new AppError('VALIDATION', tooDeepMessage('frames', maxDepth)) };
  }
  let parsed: unknown;
  const found = { overflow: false };
  try {
    // A number JSON cannot hold (1e400) parses to Infinity and would re-encode as null, which a
    // nullish field then reads as "absent": refuse it here, as the other transports do. Only a
    // text that could hold one pays for the reviver.
    parsed = MAY_OVERFLOW.test(text)
      ? JSON.parse(text, (_key, value) => {
          if (typeof value === 'number' && !Number.isFinite(value)) found.overflow = true;
          return value as unknown;
        })
      : JSON.parse(text);
  } catch {
    return { ok: false, error: new AppError('BAD_FRAME', 'frames must be JSON objects') };
  }
  if (found.overflow) {
    const tempId =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as { tempId?: unknown }).tempId
        : undefined;
    return {
      ok: false,
      error: new AppError('VALIDATION', 'numbers must be finite'),
      ...(typeof tempId === 'string' && { tempId: tempId.slice(0, 128) }),
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return {
      ok: false,
      error: new AppError('BAD_FRAME', 'frames must be JSON objects with a "type"'),
    };
  }
  const { type, ...payload } = parsed as Record<string, unknown>;
  if (typeof type !== 'string') {
    return { ok: false, error: new AppError('BAD_FRAME', 'frames need a string "type"') };
  }
  if (!isClientFrameType(type)) {
    return {
      ok: false,
      error: new AppError('UNKNOWN_TYPE', `unknown frame type: ${type.slice(0, 64)}`),
      ...(typeof payload.tempId === 'string' && { tempId: payload.tempId.slice(0, 128) }),
    };
  }
  return { ok: true, type, payload };
}

/** Encodes a packet that cannot carry binary (Parley never sends attachments) as one string. */
function encode(packet: Packet): string {
  const [encoded, ...rest] = new Encoder().encode(packet) as unknown[];
  if (typeof encoded !== 'string' || rest.length > 0) {
    throw new Error('socket.io-parser produced a binary packet for a JSON frame');
  }
  return encoded;
}

/** The namespace CONNECT packet a client sends, carrying its handshake auth. */
export const connectPacket = (auth: Record<string, unknown>): string =>
  encode({ type: PacketType.CONNECT, nsp: NAMESPACE, data: auth });

/**
 * The EVENT packet for a validated client frame: event name = type, one argument = payload.
 * Written as socket.io-parser's Encoder writes it for the main namespace, without its scan for
 * binary: a parsed JSON payload holds none (the unit tests hold the two outputs equal).
 */
export const eventPacket = (type: ClientFrameType, payload: Record<string, unknown>): string =>
  `${PacketType.EVENT}${JSON.stringify([type, payload])}`;

const NO_ACK_DATA = JSON.stringify([RAW_NO_ACK]);

/** The ACK packet answering the server's acknowledgement request `ackId` with RAW_NO_ACK. */
export const noAckPacket = (ackId: number): string => `${PacketType.ACK}${ackId}${NO_ACK_DATA}`;

/** What a packet the server wrote means for the raw client. */
export type ServerPacket =
  | { kind: 'connected' }
  | { kind: 'frame'; frame: JsonFrame; ackId: number | undefined }
  | { kind: 'disconnected' }
  | { kind: 'refused'; unavailable: boolean }
  | { kind: 'ignored' };

/** Event names Socket.IO keeps for itself: its parser refuses them, its client will not emit them. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const COMMA = 0x2c;

/**
 * Where the object opening at `open` closes in JSON text written by JSON.stringify (no
 * whitespace), or -1, also when one of its own keys is "type" or index-like ("2": such keys come
 * first in an object, so a spread would put them before "type").
 */
function objectEnd(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
      const before = text.charCodeAt(i - 1);
      if (depth === 1 && (before === OPEN_BRACE || before === COMMA)) {
        const first = text.charCodeAt(i + 1);
        if ((first >= DIGIT_0 && first <= DIGIT_9) || text.startsWith('"type":', i)) return -1;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i;
    }
  }
  return -1;
}

/**
 * The raw frame text of the packet every message sends, an EVENT on the main namespace with one
 * object argument, cut straight from the packet's JSON (which socket.io wrote with
 * JSON.stringify, so it is canonical): the same text as JSON.stringify of readServerPacket's
 * frame, without parsing the payload into objects and encoding it again. Null for any other
 * packet, which readServerPacket then reads.
 */
export function serverEventFrame(encoded: string): { text: string; ackId?: number } | null {
  if (encoded.charCodeAt(0) !== DIGIT_0 + PacketType.EVENT) return null;
  let i = 1;
  for (let c = encoded.charCodeAt(i); c >= DIGIT_0 && c <= DIGIT_9; c = encoded.charCodeAt(++i));
  const ackId = i > 1 ? Number(encoded.slice(1, i)) : undefined;
  // `["name",{…}]`, the name without escapes and not one Socket.IO keeps for itself.
  if (encoded.charCodeAt(i) !== OPEN_BRACKET || encoded.charCodeAt(i + 1) !== QUOTE) return null;
  const nameEnd = encoded.indexOf('"', i + 2);
  if (nameEnd < 0) return null;
  const event = encoded.slice(i + 2, nameEnd);
  if (event.includes('\\') || RESERVED_EVENTS.has(event)) return null;
  const open = nameEnd + 2;
  if (encoded.charCodeAt(nameEnd + 1) !== COMMA || encoded.charCodeAt(open) !== OPEN_BRACE) {
    return null;
  }
  // The object must be the last argument: `}` then the array's `]`, and nothing after.
  const close = objectEnd(encoded, open);
  if (
    close < 0 ||
    close !== encoded.length - 2 ||
    encoded.charCodeAt(close + 1) !== CLOSE_BRACKET
  ) {
    return null;
  }
  const name = encoded.slice(i + 1, nameEnd + 1);
  const text =
    close === open + 1
      ? `{"type":${name}}`
      : `{"type":${name},${encoded.slice(open + 1, close + 1)}`;
  return ackId === undefined ? { text } : { text, ackId };
}

/**
 * Decodes one packet the Socket.IO server wrote. A fresh decoder per packet keeps no state
 * between packets: a binary packet (which would wait for attachments) is simply ignored.
 */
export function readServerPacket(encoded: string): ServerPacket {
  let packet: Packet | undefined;
  const decoder = new Decoder();
  decoder.on('decoded', (p: Packet) => {
    packet = p;
  });
  decoder.add(encoded);
  decoder.destroy();
  if (!packet) return { kind: 'ignored' };
  switch (packet.type) {
    case PacketType.CONNECT:
      return { kind: 'connected' };
    case PacketType.DISCONNECT:
      return { kind: 'disconnected' };
    case PacketType.CONNECT_ERROR: {
      const data: unknown = packet.data;
      const message =
        typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : null;
      return { kind: 'refused', unavailable: message === UNAVAILABLE_REFUSAL };
    }
    case PacketType.EVENT: {
      const [event, payload] = packet.data as [unknown, unknown];
      if (typeof event !== 'string') return { kind: 'ignored' };
      const fields = typeof payload === 'object' && payload !== null ? payload : {};
      return { kind: 'frame', frame: { type: event, ...fields }, ackId: packet.id };
    }
    default:
      return { kind: 'ignored' };
  }
}
