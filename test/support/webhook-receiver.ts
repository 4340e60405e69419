// A local webhook receiver for tests: an HTTP server on 127.0.0.1 that records every request (raw
// body and headers), answers as scripted, can go down and come back on the same port, and lets a
// test wait for the next request (an event, not a poll).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as JSON. */
  body: any;
  /** What the receiver answered. */
  status: number;
}

/** One scripted answer: a status, and headers to send with it (e.g. Retry-After). */
export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Record the request but never answer it (until `down()`): a receiver that hangs. */
  hang?: boolean;
}

export class WebhookReceiver {
  readonly requests: ReceivedWebhook[] = [];
  private readonly script: ScriptedAnswer[] = [];
  private taken = 0;
  private waiters: (() => void)[] = [];
  private server: Server | null = null;

  private constructor(private port: number) {}

  /** Listens on `port` (0: a free one); `url` is where to point WEBHOOK_URL. */
  static async start(port = 0): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(port);
    await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/parley`;
  }

  /** The next requests get these answers, in order; after them, 200. */
  answer(...answers: (number | ScriptedAnswer)[]): void {
    this.script.push(...answers.map((a) => (typeof a === 'number' ? { status: a } : a)));
  }

  /**
   * The next request not yet returned by `next()` — already recorded, or the first to come. Each
   * request is returned once, in arrival order.
   */
  async next(timeoutMs = 10_000): Promise<ReceivedWebhook> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length <= this.taken) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no webhook request within ${timeoutMs} ms (${this.taken} taken so far)`);
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== wake);
          reject(new Error(`no webhook request within ${timeoutMs} ms (${this.taken} taken)`));
        }, left);
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.push(wake);
      });
    }
    const request = this.requests[this.taken] as ReceivedWebhook;
    this.taken += 1;
    return request;
  }

  /** Requests recorded and not yet returned by `next()`. */
  untaken(): ReceivedWebhook[] {
    return this.requests.slice(this.taken);
  }

  /** Stops listening (connections are refused) until `up()`; the port is kept. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens (again) on the same port. */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const scripted = this.script.shift() ?? { status: 200 };
        let body: unknown = null;
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = null;
        }
        this.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          rawBody,
          body,
          status: scripted.status,
        });
        if (!scripted.hang) {
          res.writeHead(scripted.status, scripted.headers ?? {});
          res.end();
        }
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  close(): Promise<void> {
    return this.down();
  }
}

/** Checks X-Parley-Signature as docs/PROTOCOL.md §5.16 tells a receiver to (constant time). */
export function signatureVerifies(request: ReceivedWebhook, secret: string): boolean {
  const timestamp = request.headers['x-parley-timestamp'];
  const signature = request.headers['x-parley-signature'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  const expected = `sha256=${createHmac('sha256', secret)
    .update(`${timestamp}.${request.rawBody}`)
    .digest('hex')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  return a.length === b.length && timingSafeEqual(a, b);
}
