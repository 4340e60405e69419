// k6 load script for Parley's raw WebSocket endpoint (/api/v1/ws): registers user pairs over
// REST, then receivers listen while senders stream SEND_MESSAGE frames and wait for MESSAGE_ACK.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e PAIRS=20 -e MESSAGES=100 load/k6-realtime.js
//
// Uses only k6/http and k6/ws (present in every k6 release), one socket per VU: the
// `receivers` scenario holds pair i's receiving socket, the `senders` scenario pair i's sending
// one. Delivery latency = receive time − the send time carried in the message content (both VUs
// run on the same machine). Raise the server's RATE_LIMIT_* variables first (load/README.md).
import { check, fail } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';
import ws from 'k6/ws';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
const WS_URL = BASE_URL.replace(/^http/, 'ws');
const PAIRS = parseInt(__ENV.PAIRS || '20', 10);
const MESSAGES = parseInt(__ENV.MESSAGES || '100', 10);
const INFLIGHT = parseInt(__ENV.INFLIGHT || '10', 10);
/** How long a sender or receiver socket may stay open, in seconds. */
const SOCKET_SECONDS = parseInt(__ENV.SOCKET_SECONDS || '60', 10);
/** Head start the receivers get before the senders connect. */
const RECEIVER_HEAD_START = __ENV.RECEIVER_HEAD_START || '3s';
const PASSWORD = 'k6-bench-password-1234';

const ackLatency = new Trend('parley_ack_latency', true);
const deliveryLatency = new Trend('parley_delivery_latency', true);
const acked = new Counter('parley_messages_acked');
const delivered = new Counter('parley_messages_delivered');
const unacked = new Counter('parley_messages_unacked');
const missing = new Counter('parley_messages_missing');
const duplicates = new Counter('parley_messages_duplicated');
const errorFrames = new Counter('parley_error_frames');
const ackOk = new Rate('parley_ack_ok');

export const options = {
  setupTimeout: '180s',
  scenarios: {
    receivers: {
      executor: 'per-vu-iterations',
      exec: 'receive',
      vus: PAIRS,
      iterations: 1,
      maxDuration: `${SOCKET_SECONDS + 30}s`,
    },
    senders: {
      executor: 'per-vu-iterations',
      exec: 'send',
      vus: PAIRS,
      iterations: 1,
      startTime: RECEIVER_HEAD_START,
      maxDuration: `${SOCKET_SECONDS + 30}s`,
    },
  },
  thresholds: {
    parley_ack_latency: ['p(95)<500', 'p(99)<1000'],
    parley_delivery_latency: ['p(95)<1000', 'p(99)<2000'],
    parley_ack_ok: ['rate>0.999'],
    parley_messages_unacked: ['count==0'],
    parley_messages_missing: ['count==0'],
    parley_messages_duplicated: ['count==0'],
    parley_error_frames: ['count==0'],
    checks: ['rate>0.99'],
    http_req_failed: ['rate<0.01'],
  },
};

const json = (res) => {
  try {
    return res.json();
  } catch (_) {
    return null;
  }
};

/** The body of POST /auth/register for one user. */
function registerBody(username) {
  return JSON.stringify({ username, password: PASSWORD });
}

export function setup() {
  const run = Math.random().toString(36).slice(2, 8);
  const headers = { 'Content-Type': 'application/json' };
  const pairs = [];
  // Registration hashes passwords with a slow KDF: 10 requests at a time keep the server responsive.
  for (let start = 0; start < PAIRS; start += 5) {
    const batch = [];
    for (let i = start; i < Math.min(PAIRS, start + 5); i++) {
      for (const role of ['s', 'r']) {
        batch.push([
          'POST',
          `${BASE_URL}/api/v1/auth/register`,
          registerBody(`k6${run}_${i}${role}`),
          { headers },
        ]);
      }
    }
    const responses = http.batch(batch);
    for (let j = 0; j < responses.length; j += 2) {
      const [s, r] = [json(responses[j]), json(responses[j + 1])];
      if (!check(responses[j], { 'register sender 201': (res) => res.status === 201 }) || !s)
        fail(`register failed: ${responses[j].status} ${responses[j].body}`);
      if (!check(responses[j + 1], { 'register receiver 201': (res) => res.status === 201 }) || !r)
        fail(`register failed: ${responses[j + 1].status} ${responses[j + 1].body}`);
      pairs.push({
        sender: { id: s.data.user.id, token: s.data.access_token },
        receiver: { id: r.data.user.id, token: r.data.access_token },
      });
    }
  }
  for (const pair of pairs) {
    const res = http.post(`${BASE_URL}/api/v1/messages/direct/${pair.receiver.id}`, null, {
      headers: { Authorization: `Bearer ${pair.sender.token}` },
    });
    const body = json(res);
    if (!check(res, { 'direct 200/201': (r) => r.status === 200 || r.status === 201 }) || !body)
      fail(`direct failed: ${res.status} ${res.body}`);
    pair.conversationId = body.data.id;
  }
  return { run, pairs };
}

/** Pair index of this VU within its scenario (0..PAIRS-1, one iteration per VU). */
const pairIndex = () => exec.scenario.iterationInTest;

export function receive(data) {
  const pair = data.pairs[pairIndex()];
  const seen = {};
  let count = 0;
  const res = ws.connect(
    `${WS_URL}/api/v1/ws?token=${encodeURIComponent(pair.receiver.token)}`,
    { tags: { role: 'receiver' } },
    (socket) => {
      socket.on('message', (raw) => {
        const frame = JSON.parse(raw);
        if (frame.type === 'ERROR') {
          errorFrames.add(1, { code: String(frame.code), role: 'receiver' });
          return;
        }
        if (frame.type !== 'NEW_MESSAGE') return;
        // A raw socket cannot acknowledge NEW_MESSAGE: it confirms receipt with MARK_DELIVERED.
        socket.send(
          JSON.stringify({
            type: 'MARK_DELIVERED',
            conversationId: frame.conversationId,
            messageId: frame.messageId,
          }),
        );
        if (seen[frame.messageId]) {
          duplicates.add(1);
          return;
        }
        seen[frame.messageId] = true;
        count++;
        delivered.add(1);
        const sentAt = Number(String(frame.content).split('|')[1]);
        if (sentAt > 0) deliveryLatency.add(Date.now() - sentAt);
        if (count >= MESSAGES) socket.close();
      });
      socket.on('error', (e) => {
        errorFrames.add(1, { code: 'SOCKET_ERROR', role: 'receiver' });
        console.error(`receiver ${pairIndex()}: ${e.error()}`);
      });
      socket.setTimeout(() => socket.close(), SOCKET_SECONDS * 1000);
    },
  );
  check(res, { 'receiver upgraded (101)': (r) => r && r.status === 101 });
  missing.add(Math.max(0, MESSAGES - count));
}

export function send(data) {
  const index = pairIndex();
  const pair = data.pairs[index];
  const pending = {}; // tempId → send time (ms)
  let nextSeq = 0;
  let inflight = 0;
  let ackCount = 0;
  const res = ws.connect(
    `${WS_URL}/api/v1/ws?token=${encodeURIComponent(pair.sender.token)}`,
    { tags: { role: 'sender' } },
    (socket) => {
      const sendNext = () => {
        while (inflight < INFLIGHT && nextSeq < MESSAGES) {
          const seq = nextSeq++;
          const tempId = `k6-${data.run}-${index}-${seq}`;
          const now = Date.now();
          pending[tempId] = now;
          inflight++;
          socket.send(
            JSON.stringify({
              type: 'SEND_MESSAGE',
              conversationId: pair.conversationId,
              content: `k6|${now}|${seq}`,
              tempId,
            }),
          );
        }
        if (nextSeq >= MESSAGES && inflight === 0) socket.close();
      };
      socket.on('message', (raw) => {
        const frame = JSON.parse(raw);
        if (frame.type === 'connected') {
          check(frame, { 'greeting names the user': (f) => f.user_id === pair.sender.id });
          sendNext();
        } else if (frame.type === 'MESSAGE_ACK') {
          const sentAt = pending[frame.tempId];
          const ok = check(frame, {
            'MESSAGE_ACK for a pending tempId': () => sentAt !== undefined,
            'MESSAGE_ACK status SENT': (f) => f.status === 'SENT',
            'MESSAGE_ACK has a messageId': (f) =>
              typeof f.messageId === 'string' && f.messageId.length === 24,
          });
          ackOk.add(ok);
          if (sentAt === undefined) return;
          delete pending[frame.tempId];
          inflight--;
          ackCount++;
          acked.add(1);
          ackLatency.add(Date.now() - sentAt);
          sendNext();
        } else if (frame.type === 'ERROR') {
          errorFrames.add(1, { code: String(frame.code), role: 'sender' });
          ackOk.add(false);
          if (frame.tempId && pending[frame.tempId] !== undefined) {
            delete pending[frame.tempId];
            inflight--;
            sendNext();
          }
        }
      });
      socket.on('error', (e) => {
        errorFrames.add(1, { code: 'SOCKET_ERROR', role: 'sender' });
        console.error(`sender ${index}: ${e.error()}`);
      });
      socket.setTimeout(() => socket.close(), SOCKET_SECONDS * 1000);
    },
  );
  check(res, { 'sender upgraded (101)': (r) => r && r.status === 101 });
  unacked.add(MESSAGES - ackCount);
}
