// StatementAdmission: at most `slots` statements run at once, the rest start in arrival order as
// slots free up; a full queue, or a wait past its bound, is refused as UnavailableError.
import { StatementAdmission } from '../../src/adapters/store/postgres/statement-admission';
import { UnavailableError } from '../../src/domain/errors';

/** A task the test finishes by hand, recording when it started. */
function gatedTask(started: number[], n: number) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    task: async (): Promise<number> => {
      started.push(n);
      await done;
      return n;
    },
    finish: () => {
      finish();
    },
  };
}

it('runs at most `slots` at once and starts the rest in arrival order', async () => {
  const admission = new StatementAdmission({ slots: 2, maxQueued: 100, maxWaitMs: 60_000 });
  const started: number[] = [];
  const tasks = Array.from({ length: 6 }, (_, n) => gatedTask(started, n));
  const results = tasks.map((t) => admission.run(t.task));
  await Promise.resolve();
  expect(started).toEqual([0, 1]);
  expect(admission.waiting).toBe(4);

  tasks[1]!.finish();
  await expect(results[1]).resolves.toBe(1);
  expect(started).toEqual([0, 1, 2]);
  tasks[0]!.finish();
  tasks[2]!.finish();
  await Promise.all([results[0], results[2]]);
  expect(started).toEqual([0, 1, 2, 3, 4]);
  tasks[3]!.finish();
  tasks[4]!.finish();
  tasks[5]!.finish();
  await expect(Promise.all(results)).resolves.toEqual([0, 1, 2, 3, 4, 5]);
  expect(admission.waiting).toBe(0);
});

it('frees the slot of a task that fails', async () => {
  const admission = new StatementAdmission({ slots: 1, maxQueued: 10, maxWaitMs: 60_000 });
  const failing = admission.run(() => Promise.reject(new Error('boom')));
  const next = admission.run(() => Promise.resolve('next'));
  await expect(failing).rejects.toThrow('boom');
  await expect(next).resolves.toBe('next');
});

it('refuses at once when the queue is full, and keeps serving the queued ones', async () => {
  const admission = new StatementAdmission({ slots: 1, maxQueued: 2, maxWaitMs: 60_000 });
  const started: number[] = [];
  const tasks = Array.from({ length: 3 }, (_, n) => gatedTask(started, n));
  const results = tasks.map((t) => admission.run(t.task));
  const refused = admission.run(() => Promise.resolve(-1));
  await expect(refused).rejects.toBeInstanceOf(UnavailableError);
  await expect(refused).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  for (const t of tasks) t.finish();
  await expect(Promise.all(results)).resolves.toEqual([0, 1, 2]);
});

it('refuses a statement that waited too long, and never starts it', async () => {
  jest.useFakeTimers();
  try {
    const admission = new StatementAdmission({ slots: 1, maxQueued: 10, maxWaitMs: 1000 });
    const started: number[] = [];
    const first = gatedTask(started, 0);
    const running = admission.run(first.task);
    const waited = admission.run(() => Promise.resolve(1));
    const refusal = expect(waited).rejects.toBeInstanceOf(UnavailableError);
    jest.advanceTimersByTime(1000);
    await refusal;
    expect(admission.waiting).toBe(0);
    // The slot goes to whoever comes next, not to the refused one.
    const after = admission.run(() => Promise.resolve(2));
    first.finish();
    await expect(running).resolves.toBe(0);
    await expect(after).resolves.toBe(2);
  } finally {
    jest.useRealTimers();
  }
});

it('on close, refuses the waiting and later statements and lets the running one finish', async () => {
  const admission = new StatementAdmission({ slots: 1, maxQueued: 10, maxWaitMs: 60_000 });
  const started: number[] = [];
  const first = gatedTask(started, 0);
  const running = admission.run(first.task);
  const waiting = admission.run(() => Promise.resolve(1));
  admission.close();
  await expect(waiting).rejects.toBeInstanceOf(UnavailableError);
  await expect(admission.run(() => Promise.resolve(2))).rejects.toBeInstanceOf(UnavailableError);
  first.finish();
  await expect(running).resolves.toBe(0);
  expect(started).toEqual([0]);
});
