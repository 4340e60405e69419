// The raw-WebSocket codec: JSON frames in (checked before any packet is built), Socket.IO
// packets out, verified against socket.io-parser itself rather than hand-written layouts.
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import {
  connectPacket,
  eventPacket,
  isRawNoAck,
  noAckPacket,
  RAW_NO_ACK,
  readClientFrame,
  readServerPacket,
  serverEventFrame,
} from '../../src/realtime/raw-ws-codec';

/** Decodes what the codec produced with socket.io-parser's own decoder. */
function decode(encoded: string): Packet {
  let packet: Packet | undefined;
  const decoder = new Decoder();
  decoder.on('decoded', (p: Packet) => {
    packet = p;
  });
  decoder.add(encoded);
  if (!packet) throw new Error('nothing decoded');
  return packet;
}

const encode = (packet: Packet): string => new Encoder().encode(packet)[0] as string;

describe('readClientFrame', () => {
  it('splits a known frame into its type and payload, from text or bytes', () => {
    const text = '{"type":"SEND_MESSAGE","conversationId":"c","content":"hi [{"}';
    const expected = {
      ok: true,
      type: 'SEND_MESSAGE',
      payload: { conversationId: 'c', content: 'hi [{' },
    };
    expect(readClientFrame(text)).toEqual(expected);
    expect(readClientFrame(Buffer.from(text))).toEqual(expected);
  });

  it.each([
    ['not JSON', 'BAD_FRAME', '{"type":'],
    ['an array', 'BAD_FRAME', '["ping"]'],
    ['null', 'BAD_FRAME', 'null'],
    ['a string', 'BAD_FRAME', '"ping"'],
    ['a missing type', 'BAD_FRAME', '{"x":1}'],
    ['a numeric type', 'BAD_FRAME', '{"type":7}'],
    ['an unknown type', 'UNKNOWN_TYPE', '{"type":"EXPLODE"}'],
    ['an inherited name as type', 'UNKNOWN_TYPE', '{"type":"constructor"}'],
    ['a nesting bomb', 'VALIDATION', `{"type":"ping","x":${'['.repeat(5000)}${']'.repeat(5000)}}`],
  ])('refuses %s with %s', (_label, code, text) => {
    const read = readClientFrame(text);
    expect(read).toMatchObject({ ok: false, error: { code } });
  });

  it('keeps the tempId of an unknown frame so the client can match the error', () => {
    expect(readClientFrame('{"type":"SEND_MESAGE","tempId":"t1"}')).toMatchObject({
      ok: false,
      tempId: 't1',
    });
  });

  it.each([
    ['1e400'],
    ['-1E+400'],
    ['0.5e0000000400'],
    [`1${'0'.repeat(309)}`],
    [`1${'0'.repeat(250)}e60`],
  ])('refuses the number %s, past what a double holds', (number) => {
    const read = readClientFrame(`{"type":"ping","tempId":"t","n":${number}}`);
    expect(read).toMatchObject({ ok: false, error: { code: 'VALIDATION' }, tempId: 't' });
  });

  it.each([['1e308'], ['-1.5e99'], [`1${'0'.repeat(199)}e99`], [`0.${'9'.repeat(400)}`]])(
    'keeps the number %s, which a double holds',
    (number) => {
      const read = readClientFrame(`{"type":"ping","n":${number}}`);
      expect(read).toEqual({ ok: true, type: 'ping', payload: { n: Number(number) } });
    },
  );

  it.each([
    ['after whitespace', '{"type":"ping","tempId":"t","n" :\n 1e400}'],
    ['in an array', '{"type":"ping","tempId":"t","n":[1,2.5E+400]}'],
    ['in a nested object', '{"type":"ping","tempId":"t","n":{"m":-3e999}}'],
  ])('refuses a number past what a double holds %s', (_label, text) => {
    expect(readClientFrame(text)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('refuses a bare overflowing number as before: not finite', () => {
    expect(readClientFrame(' 1e400')).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', message: 'numbers must be finite' },
    });
  });

  it('parses ids that look like exponents (hex "e123") without the slower parse', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const text = '{"type":"MARK_DELIVERED","conversationId":"5e123abc","messageId":"9e9991"}';
      expect(readClientFrame(text)).toMatchObject({ ok: true, type: 'MARK_DELIVERED' });
      expect(parse.mock.calls.map((args) => args.length)).toEqual([1]);
    } finally {
      parse.mockRestore();
    }
  });

  it('keeps text that only looks like a large number', () => {
    const read = readClientFrame('{"type":"ping","content":"e999 and 1e400"}');
    expect(read).toEqual({ ok: true, type: 'ping', payload: { content: 'e999 and 1e400' } });
  });

  it('checks depth before parsing, against the bound it is given', () => {
    expect(readClientFrame('{"type":"ping","x":[[1]]}', 2)).toMatchObject({ ok: false });
    expect(readClientFrame('{"type":"ping","x":[1]}', 2)).toMatchObject({ ok: true });
  });
});

describe('client packets', () => {
  it('builds the namespace CONNECT with the handshake auth', () => {
    expect(decode(connectPacket({ token: 'abc' }))).toEqual({
      type: PacketType.CONNECT,
      nsp: '/',
      data: { token: 'abc' },
    });
  });

  it('builds an EVENT whose name is the frame type and whose one argument is the payload', () => {
    expect(decode(eventPacket('TYPING', { conversationId: 'c' }))).toEqual({
      type: PacketType.EVENT,
      nsp: '/',
      data: ['TYPING', { conversationId: 'c' }],
    });
  });

  it("writes its EVENT and ACK packets exactly as socket.io-parser's Encoder does", () => {
    const payload = { conversationId: 'c', content: 'é "q" \\ [{', n: 1.5, media: [{ a: null }] };
    expect(eventPacket('SEND_MESSAGE', payload)).toBe(
      encode({ type: PacketType.EVENT, nsp: '/', data: ['SEND_MESSAGE', payload] }),
    );
    expect(eventPacket('ping', {})).toBe(
      encode({ type: PacketType.EVENT, nsp: '/', data: ['ping', {}] }),
    );
    for (const id of [0, 7, 123456])
      expect(noAckPacket(id)).toBe(
        encode({ type: PacketType.ACK, nsp: '/', id, data: [RAW_NO_ACK] }),
      );
  });

  it('answers an acknowledgement request with RAW_NO_ACK', () => {
    const packet = decode(noAckPacket(17));
    expect(packet).toEqual({ type: PacketType.ACK, nsp: '/', id: 17, data: [RAW_NO_ACK] });
    expect(isRawNoAck((packet.data as unknown[])[0])).toBe(true);
    expect(isRawNoAck({ ok: true })).toBe(false);
    expect(isRawNoAck(null)).toBe(false);
  });
});

describe('readServerPacket', () => {
  it('turns an EVENT into a JSON frame, keeping the acknowledgement id', () => {
    const event = { type: PacketType.EVENT, nsp: '/', data: ['pong', {}] };
    expect(readServerPacket(encode(event))).toEqual({
      kind: 'frame',
      frame: { type: 'pong' },
      ackId: undefined,
    });
    const withAck = {
      type: PacketType.EVENT,
      nsp: '/',
      id: 4,
      data: ['NEW_MESSAGE', { messageId: 'm', seq: 3 }],
    };
    expect(readServerPacket(encode(withAck))).toEqual({
      kind: 'frame',
      frame: { type: 'NEW_MESSAGE', messageId: 'm', seq: 3 },
      ackId: 4,
    });
  });

  it('gives an event without an object payload just its type', () => {
    const bare = { type: PacketType.EVENT, nsp: '/', data: ['pong'] };
    expect(readServerPacket(encode(bare))).toMatchObject({ frame: { type: 'pong' } });
  });

  it.each([
    [{ type: PacketType.CONNECT, nsp: '/', data: { sid: 'x' } }, 'connected'],
    [{ type: PacketType.DISCONNECT, nsp: '/' }, 'disconnected'],
    [{ type: PacketType.ACK, nsp: '/', id: 1, data: [] }, 'ignored'],
  ])('reads %j as %s', (packet, kind) => {
    expect(readServerPacket(encode(packet))).toEqual({ kind });
  });

  it.each([
    ['unauthorized', false],
    ['unavailable', true],
  ])('reads a CONNECT_ERROR %s as refused (unavailable: %s)', (message, unavailable) => {
    const packet = { type: PacketType.CONNECT_ERROR, nsp: '/', data: { message } };
    expect(readServerPacket(encode(packet))).toEqual({ kind: 'refused', unavailable });
  });

  it('ignores a binary event instead of waiting for its attachments', () => {
    const [header] = new Encoder().encode({
      type: PacketType.EVENT,
      nsp: '/',
      data: ['file', Buffer.from('x')],
    }) as [string];
    expect(readServerPacket(header)).toEqual({ kind: 'ignored' });
    // The next packet decodes normally: no state was left behind.
    expect(readServerPacket(encode({ type: PacketType.DISCONNECT, nsp: '/' }))).toEqual({
      kind: 'disconnected',
    });
  });
});

describe('serverEventFrame', () => {
  const event = (data: unknown[], id?: number): string =>
    encode({ type: PacketType.EVENT, nsp: '/', data, ...(id !== undefined && { id }) });

  it.each([
    ['an ack-requesting NEW_MESSAGE', event(['NEW_MESSAGE', { messageId: 'm', seq: 3 }], 42)],
    ['an empty payload', event(['pong', {}])],
    [
      'nested values and escapes',
      event(['MESSAGE_STATUS', { b: 'é "x" \\ }]', n: [1, { 2: null }], a: -0.5, d: true }]),
    ],
    ['a __proto__ key', '2["X",{"__proto__":{"y":1},"z":2}]'],
    [
      '"type" anywhere but as its own key',
      event(['X', { a: { type: 'inner' }, b: 'type', c: '","type":"x', d: ['type', { type: 1 }] }]),
    ],
  ])('writes %s as the text of the frame readServerPacket reads', (_label, packet) => {
    const decoded = readServerPacket(packet);
    if (decoded.kind !== 'frame') throw new Error('not a frame');
    expect(serverEventFrame(packet)).toEqual({
      text: JSON.stringify(decoded.frame),
      ...(decoded.ackId !== undefined && { ackId: decoded.ackId }),
    });
  });

  it.each([
    ['a payload with its own type', event(['X', { type: 'other', a: 1 }])],
    ['a payload with an index-like key', event(['X', { a: 1, 2: 'two' }])],
    ['a payload with its own type after other keys', event(['X', { a: { b: 1 }, type: 'x' }])],
    ['an event name with an escape', event(['say "hi"', { a: 1 }])],
    ['no payload', event(['pong'])],
    ['two arguments', event(['X', { a: 1 }, { b: 2 }])],
    ['a non-object payload', event(['X', 'text'])],
    ['an array payload', event(['X', [1]])],
    ['a numeric event name', event([5, { a: 1 }])],
    ['a reserved event name', '2["disconnect",{"a":1}]'],
    ['another namespace', encode({ type: PacketType.EVENT, nsp: '/admin', data: ['X', {}] })],
    ['a CONNECT', encode({ type: PacketType.CONNECT, nsp: '/', data: { sid: 'x' } })],
    ['an ACK', encode({ type: PacketType.ACK, nsp: '/', id: 1, data: [{ a: 1 }] })],
    ['broken JSON', '2["X",{"a":'],
  ])('leaves %s to readServerPacket', (_label, packet) => {
    expect(serverEventFrame(packet)).toBeNull();
  });
});
