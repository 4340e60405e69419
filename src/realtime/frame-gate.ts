// The admission check every incoming realtime frame passes on both transports: a per-socket
// rate limit that escalates to a disconnect under a sustained flood, and the frame size limit.
import { AppError, rateLimited } from '../domain/errors';
import { TokenBucket } from '../domain/token-bucket';

/** Consecutive rate-limited frames after which a flooding socket is cut off. */
const FLOOD_DISCONNECT_AFTER = 50;

export type GateVerdict = { pass: true } | { pass: false; error: AppError; disconnect: boolean };

export class FrameGate {
  private readonly bucket: TokenBucket;
  private strikes = 0;

  constructor(
    private readonly limits: {
      framesPerSecond: number;
      framesBurst: number;
      maxFrameBytes: number;
    },
    /** Milliseconds clock, injectable so the refill can be tested without waiting. */
    private readonly now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(
      { ratePerSecond: limits.framesPerSecond, burst: limits.framesBurst },
      now(),
    );
  }

  admit(frameBytes: number): GateVerdict {
    if (!this.bucket.take(this.now())) {
      this.strikes++;
      return {
        pass: false,
        // One token refills in 1/rate seconds: the earliest moment the next frame can pass.
        error: rateLimited('too many frames; slow down', 1000 / this.limits.framesPerSecond),
        disconnect: this.strikes >= FLOOD_DISCONNECT_AFTER,
      };
    }
    this.strikes = 0;
    if (frameBytes > this.limits.maxFrameBytes) {
      return {
        pass: false,
        error: new AppError(
          'FRAME_TOO_LARGE',
          `frames are limited to ${this.limits.maxFrameBytes} bytes`,
        ),
        disconnect: false,
      };
    }
    return { pass: true };
  }
}
