// The translation between raw-WebSocket JSON frames and the Socket.IO packets the bridged
// connection speaks, built on socket.io-parser so packet layouts are never hand-written.
// Client frames are checked here (size already gated, then depth, JSON, shape, known type)
// before any packet is built: socket.io would close the connection on undecodable input.
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { AppError } from '../domain/errors';
import { isClientFrameType, type ClientFrameType } from '../protocol/frames';
import { jsonTextTooDeep, MAX_JSON_DEPTH, tooDeepMessage } from '../protocol/json-limits';

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

/** Reads one client frame (UTF-8 text or bytes) into a known type and its payload, or an error. */
export function readClientFrame(
  data: string | Buffer,
  maxDepth: number = MAX_JSON_DEPTH,
): ClientFrameResult {
  // Before JSON.parse: the parse itself copes, but what walks the result afterwards may not.
  if (jsonTextTooDeep(data, maxDepth)) {
    return { ok: false, error: new AppError('VALIDATION', tooDeepMessage('frames', maxDepth)) };
  }
  let parsed: unknown;
  const found = { overflow: false };
  try {
    // A number JSON cannot hold (1e400) parses to Infinity and would re-encode as null, which a
    // nullish field then reads as "absent": refuse it here, as the other transports do.
    parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'), (_key, value) => {
      if (typeof value === 'number' && !Number.isFinite(value)) found.overflow = true;
      return value as unknown;
    });
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

/** The EVENT packet for a validated client frame: event name = type, one argument = payload. */
export const eventPacket = (type: ClientFrameType, payload: Record<string, unknown>): string =>
  encode({ type: PacketType.EVENT, nsp: NAMESPACE, data: [type, payload] });

/** The ACK packet answering the server's acknowledgement request `ackId` with RAW_NO_ACK. */
export const noAckPacket = (ackId: number): string =>
  encode({ type: PacketType.ACK, nsp: NAMESPACE, id: ackId, data: [RAW_NO_ACK] });

/** What a packet the server wrote means for the raw client. */
export type ServerPacket =
  | { kind: 'connected' }
  | { kind: 'frame'; frame: JsonFrame; ackId: number | undefined }
  | { kind: 'disconnected' }
  | { kind: 'refused'; unavailable: boolean }
  | { kind: 'ignored' };

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
