// FrameGate: per-socket flood control and the frame size bound, on a controlled clock.
import { FrameGate } from '../../src/realtime/frame-gate';

const limits = { framesPerSecond: 2, framesBurst: 3, maxFrameBytes: 100 };

function gateAt(start = 1_000_000): { gate: FrameGate; advance: (ms: number) => void } {
  let now = start;
  return {
    gate: new FrameGate(limits, () => now),
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('FrameGate', () => {
  it('passes a burst, then refuses with RATE_LIMITED and the time one frame refills in', () => {
    const { gate } = gateAt();
    for (let i = 0; i < 3; i++) expect(gate.admit(10)).toEqual({ pass: true });
    const refused = gate.admit(10);
    expect(refused.pass).toBe(false);
    if (refused.pass) return;
    expect(refused.error.code).toBe('RATE_LIMITED');
    expect(refused.error.retryAfterMs).toBe(500);
    expect(refused.disconnect).toBe(false);
  });

  it('refills at the configured rate', () => {
    const { gate, advance } = gateAt();
    for (let i = 0; i < 3; i++) gate.admit(10);
    expect(gate.admit(10).pass).toBe(false);
    advance(499);
    expect(gate.admit(10).pass).toBe(false);
    advance(2);
    expect(gate.admit(10).pass).toBe(true);
    expect(gate.admit(10).pass).toBe(false);
  });

  it('asks for a disconnect after 50 refusals in a row, and forgives after a pass', () => {
    const { gate, advance } = gateAt();
    for (let i = 0; i < 3; i++) gate.admit(10);
    for (let i = 1; i < 50; i++) {
      const v = gate.admit(10);
      expect(!v.pass && v.disconnect).toBe(false);
    }
    advance(500);
    expect(gate.admit(10).pass).toBe(true);
    for (let i = 1; i < 50; i++) gate.admit(10);
    const fiftieth = gate.admit(10);
    expect(!fiftieth.pass && fiftieth.disconnect).toBe(true);
  });

  it('refuses a frame over the size bound with FRAME_TOO_LARGE, without a disconnect', () => {
    const { gate } = gateAt();
    expect(gate.admit(100)).toEqual({ pass: true });
    const big = gate.admit(101);
    expect(big).toMatchObject({ pass: false, disconnect: false });
    if (big.pass) return;
    expect(big.error.code).toBe('FRAME_TOO_LARGE');
    expect(big.error.message).toContain('100');
  });

  it('counts an oversized frame against the rate too', () => {
    const { gate } = gateAt();
    for (let i = 0; i < 3; i++) gate.admit(1_000);
    const after = gate.admit(1);
    expect(!after.pass && after.error.code).toBe('RATE_LIMITED');
  });
});
