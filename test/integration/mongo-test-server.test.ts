// The test MongoDB as the driver sees it: through testMongoUrl() the driver's server monitor stays
// healthy, so no connection pool is cleared under a running test (see withPollingMonitor).
import { MongoClient } from 'mongodb';
import { TEST_MONGODB_URL_ENV, testMongoUrl, withPollingMonitor } from '../support/mongo-url';

interface MonitorReport {
  heartbeatsSucceeded: number;
  heartbeatFailures: string[];
  poolClears: number;
}

/** The driver's lower bound: a check every 500 ms, so a few heartbeats take a couple of seconds. */
const HEARTBEAT_MS = 500;

/** Connects, keeps a write and a read going until `heartbeats` checks succeeded, and reports. */
async function watchMonitor(url: string, heartbeats: number): Promise<MonitorReport> {
  const client = new MongoClient(url, {
    heartbeatFrequencyMS: HEARTBEAT_MS,
    serverSelectionTimeoutMS: 5000,
  });
  const report: MonitorReport = { heartbeatsSucceeded: 0, heartbeatFailures: [], poolClears: 0 };
  let timer: NodeJS.Timeout | undefined;
  const enough = new Promise<void>((resolve, reject) => {
    client.on('serverHeartbeatSucceeded', () => {
      if (++report.heartbeatsSucceeded >= heartbeats) resolve();
    });
    timer = setTimeout(
      () => reject(new Error(`fewer than ${heartbeats} heartbeats: ${JSON.stringify(report)}`)),
      heartbeats * HEARTBEAT_MS + 10_000,
    );
  });
  client.on('serverHeartbeatFailed', (event) =>
    report.heartbeatFailures.push(event.failure.message),
  );
  client.on('connectionPoolCleared', () => report.poolClears++);
  try {
    await client.connect();
    const items = client.db().collection<{ at: Date }>('items');
    let done = false;
    const traffic = (async () => {
      while (!done) {
        const { insertedId } = await items.insertOne({ at: new Date() });
        await items.findOne({ _id: insertedId });
      }
    })();
    await enough.finally(() => {
      done = true;
    });
    await traffic;
  } finally {
    clearTimeout(timer);
    await client.close();
  }
  return report;
}

it('keeps every heartbeat and the connection pool on a URL from testMongoUrl()', async () => {
  const url = testMongoUrl('monitor');
  expect(new URL(url).searchParams.get('serverMonitoringMode')).toBe('poll');
  expect(await watchMonitor(url, 4)).toEqual({
    heartbeatsSucceeded: 4,
    heartbeatFailures: [],
    poolClears: 0,
  });
});

it('sets the polling monitor whatever the base URL says', () => {
  expect(withPollingMonitor('mongodb://h:1/db')).toBe('mongodb://h:1/db?serverMonitoringMode=poll');
  expect(withPollingMonitor('mongodb://h:1/?serverMonitoringMode=stream&appName=x')).toBe(
    'mongodb://h:1/?serverMonitoringMode=poll&appName=x',
  );
  const saved = process.env[TEST_MONGODB_URL_ENV];
  try {
    process.env[TEST_MONGODB_URL_ENV] = 'mongodb://u:p@h:1/auth?appName=x';
    expect(testMongoUrl('x')).toMatch(
      /^mongodb:\/\/u:p@h:1\/parley_test_x_[0-9a-f]{12}\?appName=x&authSource=auth&serverMonitoringMode=poll$/,
    );
  } finally {
    if (saved === undefined) Reflect.deleteProperty(process.env, TEST_MONGODB_URL_ENV);
    else process.env[TEST_MONGODB_URL_ENV] = saved;
  }
});

// The control: without the option the same check fails against CongoDB, so the one above can fail.
// Only CongoDB has the fault; a real MongoDB (MONGODB_URL) streams fine.
(process.env.MONGODB_URL ? it.skip : it)(
  'loses heartbeats and clears the pool against CongoDB when the driver streams',
  async () => {
    const streaming = new URL(testMongoUrl('monitor_stream'));
    streaming.searchParams.delete('serverMonitoringMode');
    const report = await watchMonitor(streaming.toString(), 4);
    expect(report.heartbeatFailures).toContain('Server ended moreToCome unexpectedly');
    expect(report.poolClears).toBeGreaterThan(0);
  },
);
