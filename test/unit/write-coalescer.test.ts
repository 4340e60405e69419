// coalesceWrites: what one turn writes to a socket reaches it in one write, in order, by the
// end of the turn.
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { coalesceWrites } from '../../src/realtime/write-coalescer';

/** A stream recording each call that reached it (one per system call on a real socket). */
function recorder(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    writev(chunks, done) {
      calls.push(chunks.map((c) => String(c.chunk)));
      done();
    },
    write(chunk, _encoding, done) {
      calls.push([String(chunk)]);
      done();
    },
  });
  return { stream, calls };
}

describe('coalesceWrites', () => {
  it('sends the frames of one turn in one write, in order, once the turn ends', async () => {
    const { stream, calls } = recorder();
    for (const frame of ['a', 'b', 'c']) {
      coalesceWrites(stream);
      stream.write(frame);
    }
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(stream.writableCorked).toBe(0);
  });

  it('holds each socket once, and the next turn starts afresh', async () => {
    const one = recorder();
    const two = recorder();
    coalesceWrites(one.stream);
    one.stream.write('1a');
    coalesceWrites(two.stream);
    two.stream.write('2a');
    coalesceWrites(one.stream);
    one.stream.write('1b');
    expect(one.stream.writableCorked).toBe(1);
    await nextTurn();
    expect(one.calls).toEqual([['1a', '1b']]);
    expect(two.calls).toEqual([['2a']]);
    coalesceWrites(one.stream);
    one.stream.write('1c');
    await nextTurn();
    expect(one.calls).toEqual([['1a', '1b'], ['1c']]);
  });

  it('leaves a destroyed or missing socket alone', () => {
    const { stream } = recorder();
    stream.destroy();
    coalesceWrites(stream);
    expect(stream.writableCorked).toBe(0);
    expect(() => coalesceWrites(undefined)).not.toThrow();
  });
});
