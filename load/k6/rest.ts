// k6 load test of Parley's REST API (docs/PROTOCOL.md §5): user pairs registered in setup(); each
// VU is one user who logs in once, then loops: create (or find) the DIRECT with its pair, send
// messages, page back through the history, list its conversations. Thresholds on failed requests
// and per-endpoint latency fail the run.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e PAIRS=20 -e DURATION=1m load/k6/rest.ts
//
// Settings and thresholds: load/k6/README.md. Raise the server's RATE_LIMIT_* first.
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { readEnv, readServerSettings } from './lib/env.ts';
import {
  ParleyRest,
  registerRun,
  type ConversationDetail,
  type Message,
  type Session,
} from './lib/rest-client.ts';

const settings = readEnv((env) => {
  const server = readServerSettings(env);
  const p95 = env.int('P95_MS', 500);
  const p99 = env.int('P99_MS', 1000);
  const latency = [`p(95)<${p95}`, `p(99)<${p99}`];
  return {
    ...server,
    vus: env.int('VUS', 2 * server.pairs, 1, 100000),
    duration: env.duration('DURATION', '30s'),
    messages: env.int('MESSAGES', 5, 0, 1000),
    historyPages: env.int('HISTORY_PAGES', 3, 0, 1000),
    pageLimit: env.int('PAGE_LIMIT', 50, 1, 100),
    thinkSeconds: env.number('THINK_SECONDS', 1, 0, 3600),
    thresholds: {
      http_req_failed: [`rate<${env.number('MAX_FAILED_RATE', 0.01, 0, 1)}`],
      'http_req_duration{endpoint:create_direct}': latency,
      'http_req_duration{endpoint:send}': latency,
      'http_req_duration{endpoint:history}': latency,
      'http_req_duration{endpoint:conversations}': latency,
      // Login and registration are an Argon2 hash each: slow by design, bounded loosely.
      'http_req_duration{endpoint:login}': [`p(95)<${env.int('LOGIN_P95_MS', 3000)}`],
      checks: ['rate>0.99'],
    },
  };
});

export const options: Options = {
  setupTimeout: `${settings.setupTimeoutSeconds}s`,
  scenarios: {
    users: { executor: 'constant-vus', vus: settings.vus, duration: settings.duration },
  },
  thresholds: settings.thresholds,
};

interface SetupData {
  runId: string;
  /** Pair i is users 2i and 2i + 1: each one's DIRECT peer is the other. */
  users: Session[];
}

export function setup(): SetupData {
  const { runId, pairs } = registerRun(new ParleyRest(settings.baseUrl), settings);
  return { runId, users: pairs.flatMap((pair) => [pair.first, pair.second]) };
}

// Module state is per VU in k6: each VU logs in once and keeps its session.
const rest = new ParleyRest(settings.baseUrl);
let session: Session | null = null;

export default function (data: SetupData): void {
  const index = (exec.vu.idInTest - 1) % data.users.length;
  const me = data.users[index];
  const peer = data.users[index ^ 1];
  if (!me || !peer) throw new Error(`no user for VU ${exec.vu.idInTest}`);
  if (session === null) session = rest.login(me.username);
  if (session === null) {
    sleep(1); // login failed (counted); try again next iteration
    return;
  }
  const direct = rest.createDirect(session, peer.id);
  if (direct) {
    const sent = sendMessages(session, direct, `${data.runId}-${exec.vu.idInTest}`);
    readHistory(session, direct, sent);
  }
  const list = rest.conversations(session, 20);
  if (list && direct) {
    check(list, {
      'conversations: lists the DIRECT': (l) => l.data.some((c) => c.id === direct.id),
    });
  }
  sleep(settings.thinkSeconds);
}

function sendMessages(me: Session, direct: ConversationDetail, prefix: string): Message[] {
  const sent: Message[] = [];
  const iteration = exec.vu.iterationInScenario;
  for (let i = 0; i < settings.messages; i++) {
    const tempId = `k6-${prefix}-${iteration}-${i}`;
    const message = rest.sendMessage(me, direct.id, {
      content: `k6 rest ${tempId}`,
      temp_id: tempId,
    });
    if (!message) continue;
    check(message, {
      'send: echoes temp_id and sender': (m) => m.temp_id === tempId && m.sender_id === me.id,
    });
    sent.push(message);
  }
  return sent;
}

/** Pages back from the newest messages: each page ascending, each older than the one before. */
function readHistory(me: Session, direct: ConversationDetail, sent: Message[]): void {
  let cursor: string | null = null;
  let olderThan = Infinity;
  for (let pageNo = 0; pageNo < settings.historyPages; pageNo++) {
    const page = rest.messagesPage(me, direct.id, settings.pageLimit, cursor);
    if (!page) return;
    const seqs = page.data.map((m) => m.seq);
    const last = sent[sent.length - 1];
    check(page, {
      'history: ascending seq within a page': () =>
        seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
      'history: each page older than the last': () => seqs.every((s) => s < olderThan),
      'history: cursor given exactly when has_more': (p) => p.has_more === (p.next_cursor !== null),
    });
    if (pageNo === 0 && last) {
      // A REST send is durable when answered (§5.4): the newest page reaches at least its seq.
      check(seqs, { 'history: newest page has what was sent': (s) => Math.max(...s) >= last.seq });
    }
    if (!page.has_more || page.next_cursor === null) return;
    olderThan = Math.min(...seqs);
    cursor = page.next_cursor;
  }
}
