// REST calls the checker makes, each against whichever node the caller picks, with retries across
// nodes for transport failures and 429/503 (honouring Retry-After), and nothing else retried.
import { sleep } from './proc';

export interface ApiResponse {
  status: number;
  body: any;
}

/** Thrown when no attempt got an HTTP answer (every node unreachable, or timeouts). */
export class TransportError extends Error {}

export interface ApiOptions {
  /** Picks the base URL for each attempt (a different live node per retry). */
  pickUrl: () => string;
  /** Per attempt. @default 10000 */
  timeoutMs?: number;
  /** @default 6 */
  attempts?: number;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/**
 * One REST call: `path` is under /api/v1. Resolves with the final HTTP answer (any status);
 * throws TransportError when none came. Only safe to retry calls that are idempotent (every
 * write the workload makes is: sends carry temp_id).
 */
export async function call(
  options: ApiOptions,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<ApiResponse> {
  const attempts = options.attempts ?? 6;
  let lastError = 'no attempt';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(Math.min(2000, 200 * 2 ** i));
    try {
      const res = await fetch(`${options.pickUrl()}/api/v1${path}`, {
        method,
        headers: {
          ...(token !== null && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        parsed = { raw: text.slice(0, 200) };
      }
      if (RETRY_STATUSES.has(res.status) && i < attempts - 1) {
        const after = Number(res.headers.get('retry-after'));
        if (Number.isFinite(after) && after > 0) await sleep(Math.min(after * 1000, 5000));
        lastError = `HTTP ${res.status}`;
        continue;
      }
      return { status: res.status, body: parsed };
    } catch (err) {
      lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }
  throw new TransportError(`${method} ${path}: ${lastError}`);
}

/** Every item of a list endpoint (`data` array + `next_cursor`), following cursors. */
export async function listAll(
  options: ApiOptions,
  path: string,
  token: string,
  limit: number,
): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const query = `${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await call(options, 'GET', `${path}${query}`, token);
    if (res.status !== 200)
      throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...(res.body.data as any[]));
    cursor = res.body.next_cursor ?? null;
    if (!res.body.has_more || cursor === null) return items;
  }
  throw new Error(`GET ${path}: too many pages`);
}
