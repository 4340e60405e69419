// k6 load test of Parley's raw WebSocket endpoint (/api/v1/ws, docs/PROTOCOL.md §6): user pairs
// registered over REST in setup(); each VU then drives one pair, a receiver socket that counts
// NEW_MESSAGE and confirms each with MARK_DELIVERED and a sender socket that streams SEND_MESSAGE
// with at most INFLIGHT unanswered. Thresholds on ACK latency and delivery ratio fail the run.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e PAIRS=20 -e MESSAGES=100 load/k6/realtime-ws.ts
//
// Settings and thresholds: load/k6/README.md. Raise the server's RATE_LIMIT_* first.
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { readEnv, readServerSettings } from './lib/env.ts';
import { ParleyRest, registerRun } from './lib/rest-client.ts';
import { PairRun, type PairPlan, type RealtimeSettings } from './lib/pair-run.ts';

const settings = readEnv((env): RealtimeSettings & { thresholds: Record<string, string[]> } => {
  const server = readServerSettings(env);
  const maxSeconds = env.int('MAX_SECONDS', 120);
  return {
    ...server,
    wsUrl: `${server.baseUrl.replace(/^http/, 'ws')}/api/v1/ws`,
    messages: env.int('MESSAGES', 100),
    inflight: env.int('INFLIGHT', 10, 1, 10000),
    contentBytes: env.int('CONTENT_BYTES', 64, 16, 4000),
    ackTimeoutMs: env.int('ACK_TIMEOUT_SECONDS', 10) * 1000,
    drainMs: env.int('DRAIN_SECONDS', 10) * 1000,
    maxMs: maxSeconds * 1000,
    thresholds: {
      parley_ack_latency: [
        `p(95)<${env.int('ACK_P95_MS', 500)}`,
        `p(99)<${env.int('ACK_P99_MS', 1000)}`,
      ],
      parley_delivery_latency: [
        `p(95)<${env.int('DELIVERY_P95_MS', 1000)}`,
        `p(99)<${env.int('DELIVERY_P99_MS', 2000)}`,
      ],
      parley_delivery_ratio: [`rate>${env.number('DELIVERY_RATIO', 0.999, 0, 0.999999)}`],
      parley_errors: ['count==0'],
      checks: ['rate>0.99'],
    },
  };
});

export const options: Options = {
  setupTimeout: `${settings.setupTimeoutSeconds}s`,
  scenarios: {
    pairs: {
      executor: 'per-vu-iterations',
      vus: settings.pairs,
      iterations: 1,
      // Past MAX_SECONDS each pair stops by itself; this only catches a VU that never returns.
      maxDuration: `${Math.ceil(settings.maxMs / 1000) + 30}s`,
    },
  },
  thresholds: settings.thresholds,
};

interface SetupData {
  runId: string;
  plans: PairPlan[];
}

export function setup(): SetupData {
  const rest = new ParleyRest(settings.baseUrl);
  const { runId, pairs } = registerRun(rest, settings);
  const plans = pairs.map((pair, index): PairPlan => {
    const direct = rest.openDirect(pair.first, pair.second.id);
    if (!direct) throw new Error(`setup: could not open the DIRECT of pair ${index} (see above)`);
    return { sender: pair.first, receiver: pair.second, conversationId: direct.id };
  });
  return { runId, plans };
}

/** One iteration per VU: VU n drives pair n until its messages are acked and delivered. */
export default function (data: SetupData): void {
  const index = exec.scenario.iterationInTest;
  const plan = data.plans[index];
  if (!plan) throw new Error(`no pair for iteration ${index}`);
  new PairRun(settings, plan, `k6-${data.runId}-${index}`).start();
}
