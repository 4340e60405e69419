// What happens to an event whose handler failed: a delayed copy in the retry queue, or the DLQ.
// No I/O (the clock is injectable): AmqpEventBus only carries the decision out.
import type { Message, Options } from 'amqplib';
import { isUnavailable } from '../../domain/errors';
import type { BusEvent } from '../../protocol/events';
import type { AmqpEventBusOptions } from './amqp-bus-options';
import * as topology from './amqp-topology';

export type RetryDecision =
  | { kind: 'dead-letter'; transient: false }
  | { kind: 'retry'; transient: boolean; delayMs: number; publish: Options.Publish };

type RetryOptions = Pick<
  AmqpEventBusOptions,
  'maxAttempts' | 'retryBaseMs' | 'retryMaxMs' | 'transientRetryWindowMs'
>;

export class RetryPolicy {
  readonly maxAttempts: number;

  constructor(
    private readonly options: RetryOptions,
    private readonly partitions: number,
    private readonly now: () => number = Date.now,
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  /** `failed`: handler runs that failed so far on this event, the one just now included. */
  decide(message: Message, event: BusEvent, failed: number, err: unknown): RetryDecision {
    const {
      retryBaseMs = 200,
      retryMaxMs = 30_000,
      transientRetryWindowMs = 600_000,
    } = this.options;
    const now = this.now();
    const firstFailedAt = topology.firstFailedAt(message) ?? now;
    // A dependency outage is not the event's fault: keep retrying it (within a time bound) rather
    // than dead-letter a message that could still be delivered once the dependency is back.
    const transient = isUnavailable(err) && now - firstFailedAt < transientRetryWindowMs;
    if (failed >= this.maxAttempts && !transient) return { kind: 'dead-letter', transient: false };
    const delayMs = topology.retryDelayMs(failed, retryBaseMs, retryMaxMs);
    const partition = topology.partitionOf(event.payload.conversation_id, this.partitions);
    return {
      kind: 'retry',
      transient,
      delayMs,
      publish: {
        contentType: 'application/json',
        expiration: String(delayMs),
        headers: {
          [topology.ATTEMPTS_HEADER]: failed,
          [topology.FIRST_FAILED_HEADER]: firstFailedAt,
          [topology.PARTITION_HEADER]: String(partition),
        },
      },
    };
  }
}
