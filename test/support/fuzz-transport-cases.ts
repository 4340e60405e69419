// What only one transport can be sent: text and binary frames that are not JSON objects with a
// string type (raw WebSocket), and events with odd payloads, extra arguments or unknown names
// (Socket.IO). Both wrap the shared frame cases of fuzz-frame-cases.ts.
import fc from 'fast-check';
import type { ErrorCode } from '../../src/domain/errors';
import { RESERVED_EVENTS } from '../../src/realtime/raw-ws-codec';
import { FRAMES } from './fuzz-specs';
import {
  frameCases,
  MAX_FRAME_BYTES,
  tempIdOf,
  unknownTypeName,
  validPayloads,
  type FrameCase,
} from './fuzz-frame-cases';
import {
  anyValue,
  containsRaw,
  corruptJsonText,
  deepJson,
  invalidUtf8Mark,
  isCarriable,
  jsonDepth,
  longString,
  notAString,
  toBytes,
  toJson,
  unicodeEdgeString,
  type FuzzValue,
} from './fuzz-values';
import type { World } from './fuzz-world';

export interface RawFrameCase {
  family: string;
  from: 'alice' | 'dave';
  data: string | Buffer;
  binary: boolean;
  expect: ErrorCode[];
  /** The frame's tempId when it has one and its ERROR must echo it. */
  echo?: string;
  tempId?: string;
}

const OVERFLOW = /[:[,]-?1e(400|309)\b/;

/** What the raw codec answers a frame whose payload is bad: the first check it fails. */
function codecVerdict(text: string): ErrorCode {
  if (jsonDepth(text) > 32) return 'VALIDATION';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'BAD_FRAME';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'BAD_FRAME';
  const type = (parsed as { type?: unknown }).type;
  if (typeof type !== 'string') return 'BAD_FRAME';
  return Object.prototype.hasOwnProperty.call(FRAMES, type) ? 'VALIDATION' : 'UNKNOWN_TYPE';
}

/**
 * Frames whose errors must echo their tempId. REFRESH_TOKEN is answered outside the command
 * handler and echoes none (known deviation from docs/PROTOCOL.md §6.5, pinned in
 * test/fuzz/known-deviations.test.ts).
 */
const echoes = (c: FrameCase): boolean =>
  c.type !== 'REFRESH_TOKEN' &&
  !c.expect.includes('FRAME_TOO_LARGE') &&
  jsonDepth(toJson(c.payload)) <= 32;

export function rawFrameCases(w: World): fc.Arbitrary<RawFrameCase> {
  const valid = validPayloads(w);
  const types = Object.keys(FRAMES) as (keyof typeof FRAMES)[];
  const validText = fc.constantFrom(...types).map((t) => toJson({ type: t, ...valid[t] }));

  const shared = fc
    .tuple(frameCases(w), fc.nat(9))
    // Known deviation, pinned in test/fuzz/known-deviations.test.ts: over the raw bridge a
    // number past what JSON can hold becomes null, which a nullish media field accepts.
    .filter(([c]) => !(c.family.endsWith('.media') && OVERFLOW.test(toJson(c.payload))))
    .map(([c, roll]) => {
      const text = toJson({ type: c.type as FuzzValue, ...(c.payload as object) });
      // One in ten goes out as a binary frame: the same JSON, the same answer.
      const binary = roll === 0;
      const tempId = tempIdOf(c.payload);
      // The size gate comes first: a long field can take the whole frame over the limit.
      const oversize = Buffer.byteLength(text) > MAX_FRAME_BYTES;
      return {
        family: c.family,
        from: c.from,
        data: binary ? Buffer.from(text) : text,
        binary,
        expect: oversize ? (['FRAME_TOO_LARGE'] as ErrorCode[]) : c.expect,
        tempId,
        echo: !oversize && echoes(c) ? tempId : undefined,
      };
    });

  const badJson = validText.chain(corruptJsonText).map((data) => ({
    family: 'raw:bad-json',
    data,
    binary: false,
    expect: [codecVerdict(data)],
  }));
  const notObject = fc
    .oneof(
      fc.constantFrom<FuzzValue>([], [{ type: 'ping' }], 'ping', 0, -1.5, null, true, ''),
      fc.array(anyValue, { maxLength: 4 }),
      deepJson(),
    )
    .map((v) => toJson(v))
    .chain((text) => fc.constantFrom(text, ` ${text} `, '', ' ', '\n'))
    .map((data) => ({
      family: 'raw:not-an-object',
      data,
      binary: false,
      expect: [codecVerdict(data)],
    }));
  const badType = fc
    .tuple(
      fc.constantFrom(...types),
      fc.oneof(notAString, fc.constant(null), fc.constant(undefined)),
    )
    .map(([t, type]) => {
      const frame: Record<string, FuzzValue> = { ...valid[t] };
      if (type !== undefined) frame.type = type;
      const data = toJson(frame);
      return { family: 'raw:type-not-a-string', data, binary: false, expect: [codecVerdict(data)] };
    });
  const unknownType = fc
    .tuple(
      unknownTypeName,
      fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 3 }),
      // Up to 128: past that the raw codec echoes it uncut (known deviation, pinned in
      // test/fuzz/known-deviations.test.ts) where the command handler cuts it.
      fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), longString(100, 128))),
    )
    .map(([type, payload, tempId]) => ({
      family: 'raw:unknown-type',
      data: toJson({ ...payload, type, ...(tempId !== null && { tempId }) }),
      binary: false,
      expect: ['UNKNOWN_TYPE'] as ErrorCode[],
      ...(tempId !== null && { tempId, echo: tempId }),
    }));
  const bom = validText.map((t) => ({
    family: 'raw:bom',
    data: `\ufeff${t}`,
    binary: false,
    expect: ['BAD_FRAME'] as ErrorCode[],
  }));
  const binaryJunk = fc
    .oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((a) => Buffer.from(a)),
      fc
        .tuple(fc.constantFrom('SEND_MESSAGE', 'MARK_SEEN', 'TYPING'), invalidUtf8Mark)
        .map(([type, mark]) =>
          toBytes(toJson({ type, conversationId: `aaaa${mark}`, messageId: mark })),
        ),
      unicodeEdgeString.map((s) => Buffer.from(s, 'utf16le')),
    )
    .map((data) => ({
      family: 'raw:binary',
      data,
      binary: true,
      expect: [codecVerdict(data.toString('utf8'))],
    }));

  const rawOnly = fc
    .tuple(
      fc.oneof(badJson, notObject, badType, unknownType, bom, binaryJunk),
      fc.constantFrom<'alice' | 'dave'>('alice', 'dave'),
    )
    .map(([c, from]): RawFrameCase => ({ ...c, from }));
  return fc.oneof({ weight: 3, arbitrary: shared }, { weight: 2, arbitrary: rawOnly });
}

/**
 * Socket.IO checks the decoded payload's depth first, then its size (as JSON): a long field can
 * take it over MAX_FRAME_BYTES.
 */
function socketIoVerdict(c: FrameCase): Pick<SocketIoCase, 'expect' | 'tempId' | 'echo'> {
  const text = toJson(c.payload);
  const oversize = jsonDepth(text) <= 32 && Buffer.byteLength(text) > MAX_FRAME_BYTES;
  const tempId = tempIdOf(c.payload);
  return {
    expect: oversize ? ['FRAME_TOO_LARGE'] : c.expect,
    tempId,
    echo: !oversize && echoes(c) ? tempId : undefined,
  };
}

export type SocketIoMode = 'ack' | 'event' | 'packet';

export interface SocketIoCase {
  family: string;
  from: 'alice' | 'dave';
  event: string;
  args: FuzzValue[];
  mode: SocketIoMode;
  expect: ErrorCode[];
  tempId?: string;
  echo?: string;
}

/** Names socket.io-client refuses to emit; they are protocol errors, tested on their own. */
const RESERVED = RESERVED_EVENTS;

export function socketIoCases(w: World): fc.Arbitrary<SocketIoCase> {
  const needsPayload = (Object.keys(FRAMES) as (keyof typeof FRAMES)[]).filter(
    (t) => FRAMES[t].required.length > 0,
  );
  const shared = fc
    .tuple(frameCases(w), fc.constantFrom<SocketIoMode>('ack', 'ack', 'ack', 'event', 'packet'))
    .map(([c, mode]): SocketIoCase => {
      // RawJson (deep nesting, 1e400) goes out as its exact text: parsed, it would change.
      const carriable = !containsRaw(c.payload);
      if (!isCarriable(c.payload)) throw new Error('Socket.IO cannot carry invalid JSON text');
      return {
        family: c.family,
        from: c.from,
        event: c.type as string,
        args: [c.payload],
        mode: carriable ? mode : 'packet',
        ...socketIoVerdict(c),
      };
    });
  const notObject = fc
    .tuple(
      fc.constantFrom(...needsPayload, 'ping', 'SYNC', 'REFRESH_TOKEN'),
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.integer(),
        fc.boolean(),
        fc.array(anyValue, { maxLength: 4 }),
        unicodeEdgeString,
      ),
      fc.constantFrom<SocketIoMode>('ack', 'event'),
    )
    .map(([event, payload, mode]) => ({
      family: 'sio:not-an-object',
      event,
      args: [payload],
      mode,
      expect: ['VALIDATION'] as ErrorCode[],
    }));
  const nullish = fc
    .tuple(fc.constantFrom(...needsPayload), fc.constantFrom<SocketIoMode>('ack', 'event'))
    .map(([event, mode]) => ({
      family: 'sio:no-payload',
      event,
      args: [null],
      mode,
      expect: ['VALIDATION'] as ErrorCode[],
    }));
  const manyArgs = fc
    .tuple(
      frameCases(w).filter((c) => !containsRaw(c.payload)),
      fc.array(anyValue, { minLength: 1, maxLength: 50 }),
      fc.constantFrom<SocketIoMode>('ack', 'event'),
    )
    .map(([c, extra, mode]) => ({
      family: `sio:many-args ${c.family}`,
      from: c.from,
      event: c.type as string,
      args: [c.payload, ...extra],
      mode,
      ...socketIoVerdict(c),
    }));
  const unknownName = fc
    .tuple(
      unknownTypeName.filter((n) => !RESERVED.has(n)),
      // Long ones come back cut to 128, the longest a tempId may be.
      fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), longString(129, 400))),
      fc.constantFrom<SocketIoMode>('ack', 'event'),
    )
    .map(([event, tempId, mode]) => ({
      family: 'sio:unknown-event',
      event,
      args: [tempId === null ? {} : { tempId }] as FuzzValue[],
      mode,
      expect: ['UNKNOWN_TYPE'] as ErrorCode[],
      ...(tempId !== null && { tempId, echo: tempId }),
    }));
  const sioOnly = fc
    .tuple(
      fc.oneof(notObject, nullish, manyArgs, unknownName),
      fc.constantFrom<'alice' | 'dave'>('alice', 'dave'),
    )
    .map(([c, from]): SocketIoCase => ({ ...c, from: 'from' in c ? c.from : from }));
  return fc.oneof({ weight: 3, arbitrary: shared }, { weight: 2, arbitrary: sioOnly });
}
