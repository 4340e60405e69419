// A bare HTTP/1.1 client for the fuzz suite: sends exactly the method, path, headers and bytes it
// is given (fetch would normalise paths, refuse odd headers and re-encode bodies).
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  method: string;
  /** Sent as is: percent-encoding, repeated keys and brackets included. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** How long one request may take before the fuzz calls the node stuck. */
const REQUEST_TIMEOUT_MS = 10_000;

export class RawHttp {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  send(req: RawRequest): Promise<RawResponse> {
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string> = {
      ...(body !== undefined && { 'content-length': String(body.length) }),
      ...req.headers,
    };
    return new Promise((resolve, reject) => {
      let answered = false;
      const outgoing = request(
        {
          host: this.host,
          port: this.port,
          method: req.method,
          path: req.path,
          headers,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          let ended = false;
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('close', () => {
            if (!ended) reject(new Error('the answer was cut off'));
          });
          res.on('end', () => {
            ended = true;
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', reject);
        },
      );
      outgoing.on('timeout', () => {
        outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`));
      });
      // A server that answers before reading a too-large body may reset the connection while
      // the rest is still being written: what counts is the answer, which came first.
      outgoing.on('error', (err) => {
        if (!answered) reject(err);
      });
      outgoing.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
