// Parley's REST API (docs/PROTOCOL.md §5) as the k6 scripts call it: each call checks its status,
// is tagged with an `endpoint` for per-endpoint thresholds, and returns the envelope's data or
// null. The response types are the fields these scripts read, mirroring src/protocol/rest.ts
// (k6 cannot load zod, and importing types from src/ would pull Node's types into this check).
import { check } from 'k6';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import type { ServerSettings } from './env.ts';

/** Every load user's password: the users are throwaway, their names unique per run. */
export const LOAD_PASSWORD = 'k6-load-password-0000';

export interface Session {
  id: string;
  username: string;
  token: string;
}

/** Two users registered together; a DIRECT conversation joins them. */
export interface UserPair {
  first: Session;
  second: Session;
}

export interface ConversationDetail {
  id: string;
  type: 'DIRECT' | 'GROUP';
}

export interface ConversationRow {
  id: string;
  type: 'DIRECT' | 'GROUP';
  other_user_id: string | null;
}

export interface Message {
  id: string;
  conversation_id: string;
  sender_id: string;
  seq: number;
  temp_id: string | null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
  has_more: boolean;
}

interface AuthData {
  user: { id: string; username: string };
  access_token: string;
}

/** How many failed calls a VU describes on the console before it only counts them. */
const LOGGED_FAILURES = 5;

/** REST calls against one server; one instance per VU (module state is per VU in k6). */
export class ParleyRest {
  private failuresLogged = 0;

  constructor(private readonly baseUrl: string) {}

  /** Registers users `concurrency` at a time (each registration is a slow KDF on the server). */
  registerAll(usernames: string[], concurrency: number): (Session | null)[] {
    const sessions: (Session | null)[] = [];
    for (let start = 0; start < usernames.length; start += concurrency) {
      const batch = usernames.slice(start, start + concurrency);
      const responses = http.batch(
        batch.map((username) => ({
          method: 'POST',
          url: `${this.baseUrl}/api/v1/auth/register`,
          body: JSON.stringify({ username, password: LOAD_PASSWORD }),
          params: this.params('register', null),
        })),
      );
      for (const res of responses) {
        sessions.push(toSession(this.data(res, 'register', [201]) as AuthData | null));
      }
    }
    return sessions;
  }

  login(username: string): Session | null {
    const res = http.post(
      `${this.baseUrl}/api/v1/auth/login`,
      JSON.stringify({ username, password: LOAD_PASSWORD }),
      this.params('login', null),
    );
    return toSession(this.data(res, 'login', [200]) as AuthData | null);
  }

  /** `POST /messages/direct/{user_id}`: get or create the DIRECT with that user. */
  openDirect(session: Session, userId: string): ConversationDetail | null {
    const res = http.post(
      `${this.baseUrl}/api/v1/messages/direct/${userId}`,
      null,
      this.params('direct', session, 'POST /messages/direct/{user_id}'),
    );
    return this.data(res, 'direct', [200, 201]) as ConversationDetail | null;
  }

  /** `POST /messages/conversations {type: DIRECT}`: 201 when created, 200 when it existed. */
  createDirect(session: Session, userId: string): ConversationDetail | null {
    const res = http.post(
      `${this.baseUrl}/api/v1/messages/conversations`,
      JSON.stringify({ type: 'DIRECT', participant_ids: [userId] }),
      this.params('create_direct', session),
    );
    return this.data(res, 'create_direct', [200, 201]) as ConversationDetail | null;
  }

  sendMessage(
    session: Session,
    conversationId: string,
    body: { content: string; temp_id: string },
  ): Message | null {
    const res = http.post(
      `${this.baseUrl}/api/v1/messages/conversations/${conversationId}/messages`,
      JSON.stringify(body),
      this.params('send', session, 'POST /messages/conversations/{id}/messages'),
    );
    return this.data(res, 'send', [201]) as Message | null;
  }

  /** One page of history, newest page first; pass `next_cursor` back for older pages. */
  messagesPage(
    session: Session,
    conversationId: string,
    limit: number,
    cursor: string | null,
  ): Page<Message> | null {
    const query = `limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res = http.get(
      `${this.baseUrl}/api/v1/messages/conversations/${conversationId}/messages?${query}`,
      this.params('history', session, 'GET /messages/conversations/{id}/messages'),
    );
    return this.page<Message>(res, 'history');
  }

  conversations(session: Session, limit: number): Page<ConversationRow> | null {
    const res = http.get(
      `${this.baseUrl}/api/v1/messages/conversations?limit=${limit}`,
      this.params('conversations', session),
    );
    return this.page<ConversationRow>(res, 'conversations');
  }

  /** `name` groups URLs that carry ids into one series, as k6 advises. */
  private params(endpoint: string, session: Session | null, name?: string) {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (session) headers.Authorization = `Bearer ${session.token}`;
    const tags: Record<string, string> = { endpoint };
    if (name !== undefined) tags.name = name;
    return { headers, tags };
  }

  /** The envelope's `data`, trusted to have the shape of §5 (callers name it). */
  private data(res: RefinedResponse<ResponseType | undefined>, what: string, ok: number[]) {
    const body = this.body(res, what, ok);
    return body === null ? null : body.data;
  }

  private page<T>(res: RefinedResponse<ResponseType | undefined>, what: string): Page<T> | null {
    const body = this.body(res, what, [200]);
    if (body === null) return null;
    const page = body as unknown as Page<T>;
    return Array.isArray(page.data) ? page : null;
  }

  /** The parsed success envelope (§3.1), or null after a failed check. */
  private body(
    res: RefinedResponse<ResponseType | undefined>,
    what: string,
    ok: number[],
  ): Record<string, unknown> | null {
    const body = parseJson(res.body);
    const passed = check(res, {
      [`${what}: status ${ok.join('/')}`]: (r) => ok.includes(r.status),
      [`${what}: success envelope`]: () => isRecord(body) && body.success === true,
    });
    if (passed && isRecord(body)) return body;
    if (this.failuresLogged < LOGGED_FAILURES) {
      this.failuresLogged++;
      const text = typeof res.body === 'string' ? res.body.slice(0, 300) : '';
      console.warn(`${what} failed: ${res.status} ${res.error} ${text}`);
    }
    return null;
  }
}

/** A run's users: pairs registered under a fresh run id (usernames `k6<run>_<i>a` / `…b`). */
export interface RegisteredRun {
  runId: string;
  pairs: UserPair[];
}

/** Registers `settings.pairs` pairs, or fails the test (setup() cannot go on without them). */
export function registerRun(rest: ParleyRest, settings: ServerSettings): RegisteredRun {
  // Drawn here, in setup(): the init context runs once per VU, each drawing its own.
  const runId = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  const usernames: string[] = [];
  for (let i = 0; i < settings.pairs; i++) usernames.push(`k6${runId}_${i}a`, `k6${runId}_${i}b`);
  const sessions = rest.registerAll(usernames, settings.registerConcurrency);
  const pairs: UserPair[] = [];
  for (let i = 0; i < settings.pairs; i++) {
    const first = sessions[2 * i];
    const second = sessions[2 * i + 1];
    if (!first || !second) throw new Error(`setup: could not register pair ${i} (see above)`);
    pairs.push({ first, second });
  }
  return { runId, pairs };
}

function toSession(data: AuthData | null): Session | null {
  if (data === null) return null;
  return { id: data.user.id, username: data.user.username, token: data.access_token };
}

function parseJson(body: unknown): unknown {
  if (typeof body !== 'string') return null;
  try {
    return JSON.parse(body);
  } catch {
    return null; // not JSON: the envelope check fails and says so
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
