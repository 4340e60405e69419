// Structured JSON logs (pino); components take child loggers bound to what they serve.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, nodeId: string): Logger {
  return pino({ level, base: { node: nodeId } });
}

/** For pure translations called without a logger of their own (they log nothing worth keeping). */
export const silentLogger: Logger = pino({ level: 'silent' });
