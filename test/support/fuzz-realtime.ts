// Sending one bad frame and reading its answer, on either transport. Replies to a frame without
// a correlation id are read by sending a `ping` right after it: the frame's ERROR and the pong
// both have to arrive. Replies are not ordered (a pong can overtake an ERROR that needed the
// store), so the exchange waits for both and the next case starts only after that.
import type { ErrorCode } from '../../src/domain/errors';
import type { Frame, RealtimeClient } from './realtime-client';

/** What the fuzz uses of a socket.io-client Socket (under a Socket.IO RealtimeClient). */
export interface SocketLike {
  emit(event: string, ...args: unknown[]): void;
  once(event: 'disconnect', listener: (reason: string) => void): void;
  disconnect(): void;
  readonly connected: boolean;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
  io: { engine: { send(packet: string): void } };
}

export const socketOf = (client: RealtimeClient): SocketLike =>
  (client as unknown as { socket: SocketLike }).socket;

/** Replies a bad frame must never get: they mean it was run as a valid command. */
const SUCCESS_REPLIES = ['MESSAGE_ACK', 'SYNC_RESULT', 'TOKEN_REFRESHED', 'OK'];

const REPLY_TIMEOUT_MS = 3000;

/**
 * Sends `sendBad`, then a ping; resolves with every frame that came before both the pong and a
 * reply (ERROR or a success reply) were in. The client's frame log is cleared first.
 */
export async function exchange(
  client: RealtimeClient,
  sendBad: () => void,
  sendPing: () => void,
): Promise<Frame[]> {
  client.frames.splice(0);
  sendBad();
  sendPing();
  await client.waitFor('pong', undefined, REPLY_TIMEOUT_MS);
  await client.waitFor(['ERROR', ...SUCCESS_REPLIES], undefined, REPLY_TIMEOUT_MS);
  return client.frames.splice(0);
}

const ERROR_KEYS = new Set(['type', 'message', 'code', 'tempId', 'retryAfterMs']);

/**
 * The one ERROR a bad frame gets: the documented shape, one of the expected codes, and the
 * frame's tempId echoed (cut to 128) unless it was refused before its payload was read.
 */
export function checkErrorReply(
  replies: Frame[],
  expected: ErrorCode[],
  sentTempId: string | undefined,
  echoExpected: boolean,
): void {
  const answers = replies.filter((f) => f.type === 'ERROR' || SUCCESS_REPLIES.includes(f.type));
  if (answers.length !== 1) {
    throw new Error(`expected exactly one ERROR, got ${JSON.stringify(answers).slice(0, 500)}`);
  }
  const error = answers[0]!;
  if (error.type !== 'ERROR')
    throw new Error(`bad frame accepted: ${JSON.stringify(error).slice(0, 300)}`);
  const extra = Object.keys(error).filter((k) => !ERROR_KEYS.has(k));
  if (extra.length > 0 || typeof error.message !== 'string' || typeof error.code !== 'string') {
    throw new Error(`ERROR of the wrong shape: ${JSON.stringify(error).slice(0, 300)}`);
  }
  if (!expected.includes(error.code as ErrorCode)) {
    throw new Error(
      `expected ERROR ${expected.join('|')}, got ${error.code}: ${error.message.slice(0, 200)}`,
    );
  }
  if (
    error.tempId !== undefined &&
    (sentTempId === undefined || !sentTempId.startsWith(error.tempId))
  ) {
    throw new Error(`ERROR echoes a tempId that was not sent: ${JSON.stringify(error.tempId)}`);
  }
  if (echoExpected && sentTempId !== undefined && error.tempId !== sentTempId.slice(0, 128)) {
    throw new Error(
      `ERROR ${error.code} does not echo the tempId ${JSON.stringify(sentTempId.slice(0, 40))}`,
    );
  }
}
