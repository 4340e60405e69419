// The shape of a bench result (load/results/bench-<time>.json): every figure of every run, the
// P1–P6 rows derived from them, and whether the run was clean (no lost or duplicated message).
import type { Integrity } from './ledger';
import type { Load } from './load-generator';
import type { MemoryAfterGc } from './memory-probe';
import type { Percentiles } from './stats';
import type { Transport } from './wire-client';

/** The purpose of every closed-loop probe. */
export const SATURATION = 'saturation';
/** The purpose of P2's offered rate at half the two-node relay's msg/s. */
export const HALF_RELAY2 = "half the two-node relay's rate";

export interface Series {
  /** Width of one point, ms. */
  intervalMs: number;
  /** Per second, one value per interval from the phase's first send to the end of its drain. */
  sent: number[];
  acked: number[];
  delivered: number[];
}

/** One closed-loop probe or one offered rate. */
export interface PhaseResult {
  label: string;
  /** Why this load: "saturation", "half the two-node relay's rate", "1.5 × saturation". */
  purpose: string;
  load: Load;
  clients: number;
  windowSeconds: number;
  /** Sends made in the phase (warm-up and window). */
  sent: number;
  /** Acks and deliveries that fell in the measured window. */
  acked: number;
  delivered: number;
  skipped: number;
  ackedPerSec: number;
  deliveredPerSec: number;
  /** deliveredPerSec ÷ ackedPerSec: 1 when delivery keeps up with acceptance. */
  deliveredToAcked: number | null;
  /** Acked but not yet delivered when the window closed. */
  backlogAtWindowEnd: number;
  /** Of the sends made in the window. */
  latencyMs: { sendToAck: Percentiles; sendToDelivery: Percentiles };
  server: {
    /** Server CPU (user + system, all its processes) per message delivered in the window. */
    cpuUsPerMessage: number | null;
    /** Of one core. */
    cpuPercent: number;
    rssMb: number;
  };
  /** Every send answered and every ack delivered before the drain ran out. */
  settled: boolean;
  drainSeconds: number;
  series: Series;
}

export interface StoreCommands {
  /** The Prometheus counter read, or null when the server exports none. */
  metric: string | null;
  /** Every command, the nodes' background passes included. */
  perDeliveredMessage: number | null;
  /** Reads that requests cost (sending, delivery), not the nodes' background passes. */
  readsPerDeliveredMessage: number | null;
  /** Reads of the nodes' own background passes (outbox sweep, scrapes) in the window. */
  backgroundReads: number | null;
  note: string;
}

/** One system under one transport: a closed-loop probe, then any offered rates. */
export interface ThroughputRun {
  id: string;
  label: string;
  server: string;
  transport: Transport;
  pairs: number;
  phases: PhaseResult[];
  integrity: Integrity;
  storeCommands: StoreCommands | null;
}

export interface MemoryRun {
  id: string;
  label: string;
  server: string;
  transport: Transport;
  connections: number;
  failed: number;
  before: MemoryAfterGc;
  after: MemoryAfterGc;
  rssPerConnectionBytes: number;
  /** Growth of heapUsed + external per connection: the figure P4 compares. */
  jsPerConnectionBytes: number;
}

export interface ScaleRun {
  requested: number;
  /** What this machine allows: the node's open-file limit minus a reserve. */
  reachable: number;
  limitNote: string | null;
  idleOpen: number;
  idleFailed: number;
  idleLost: number;
  activeClients: number;
  rssPerConnectionBytes: number;
  jsPerConnectionBytes: number;
  rssAtScaleMb: number;
  traffic: PhaseResult;
  integrity: Integrity;
}

export interface StormRun {
  clients: number;
  returnWindowSeconds: number;
  /** Clients connected again within the bound. */
  returned: number;
  /** Clients whose SYNC finished and who then held every message sent to them. */
  caughtUp: number;
  /** Acknowledged messages that clients whose SYNC finished still lacked at the end. */
  missed: number;
  /** A message received live twice by one client (SYNC repeats are allowed). */
  duplicatedLive: number;
  messagesSent: number;
  /** Last reconnection done − drop, s (null when none came back). */
  allBackSeconds: number | null;
  catchUpMs: Percentiles;
  /** Server CPU (all nodes) from the drop until every client is back and caught up, per client, ms. */
  serverCpuMsPerReturn: number | null;
  failedHandshakes: number;
  /** SYNCs refused as retryable (UNAVAILABLE, RATE_LIMITED) and sent again. */
  syncRetries: number;
  /** SYNCs refused for good (the client then counts as not caught up). */
  syncFailures: number;
  /** ERROR frames the storm clients received (retried SYNCs among them). */
  errorFrames: number;
  senderErrors: Record<string, number>;
}

export interface TargetRow {
  id: string;
  what: string;
  parley: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: 'yes' | 'no' | 'n/a';
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  command: string;
  short: boolean;
  machine: { cpus: number; model: string; memoryGb: number; node: string; kernel: string };
  options: Record<string, unknown>;
  runs: ThroughputRun[];
  memory: MemoryRun[];
  scale: ScaleRun | null;
  storm: StormRun | null;
  targets: TargetRow[];
  /** Per server: its warnings and errors by message (see servers.ts logSummary). */
  serverLogs: Record<string, Record<string, number>>;
  /** Lost, duplicated or misrouted messages, missed catch-ups: each makes the exit code 1. */
  problems: string[];
  /** Worth a look, but not a lost or duplicated message: echoes, errors, dropped connections. */
  warnings: string[];
  /** Phases that could not run (the bench exits 2 when any did). */
  failures: string[];
}
