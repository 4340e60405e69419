// One REST call of the typed client over fetch: the bearer token, the `{success, data, …}`
// envelope (docs/PROTOCOL.md §3), and a refusal rejected as a ParleyClientError with its code
// (a `Retry-After` becomes `retryAfterMs`).
import { ParleyClientError } from './errors';

/** Where to call, and as whom. */
export interface RestServer {
  url: string;
  token: string;
}

/** A successful answer: the data, and the cursor of a list beside it. */
export interface RestAnswer<T> {
  data: T;
  next_cursor?: string | null;
  has_more?: boolean;
}

interface Envelope<T> extends Partial<RestAnswer<T>> {
  success: boolean;
  code?: string;
  detail?: string;
}

/** Calls `method path` under /api/v1/messages; `what` names it in a refusal without a detail. */
export async function restCall<T>(
  server: RestServer,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  what: string,
): Promise<RestAnswer<T>> {
  const url = `${server.url.replace(/\/$/, '')}/api/v1/messages${path}`;
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${server.token}` } });
  const answer = (await res.json()) as Envelope<T>;
  if (res.ok && answer.success && answer.data !== undefined)
    return { data: answer.data, next_cursor: answer.next_cursor, has_more: answer.has_more };
  const retryAfterSeconds = Number(res.headers.get('retry-after'));
  throw new ParleyClientError(
    answer.code ?? 'INTERNAL',
    answer.detail ?? `${what} failed (${res.status})`,
    retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : undefined,
  );
}
