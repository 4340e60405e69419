// ArrivalOrder: a conversation's message.sent events handed on in seq order, a later one held
// until the ones before it arrive or the hold runs out; nothing is dropped or handed on twice.
import { ArrivalOrder } from '../../src/app/arrival-order';

/** A timer the test fires by hand. */
function manualTimers() {
  const pending = new Set<() => void>();
  return {
    setTimer: (run: () => void) => {
      pending.add(run);
      return { cancel: () => pending.delete(run) };
    },
    get count() {
      return pending.size;
    },
    fireAll() {
      const due = [...pending];
      pending.clear();
      for (const run of due) run();
    },
  };
}

function setup() {
  const timers = manualTimers();
  const order = new ArrivalOrder({ setTimer: timers.setTimer });
  const ran: string[] = [];
  const admit = (conversation: string, seq: number) =>
    order.admit(conversation, seq, () => {
      ran.push(`${conversation}${seq}`);
      return Promise.resolve(seq);
    });
  return { order, timers, ran, admit };
}

it('hands events that come in seq order on at once', async () => {
  const { ran, admit, timers } = setup();
  await expect(admit('c', 1)).resolves.toBe(1);
  await expect(admit('c', 2)).resolves.toBe(2);
  expect(ran).toEqual(['c1', 'c2']);
  expect(timers.count).toBe(0);
});

it('holds a later seq until the one before it arrives, then hands both on in seq order', async () => {
  const { order, ran, admit, timers } = setup();
  await admit('c', 8);
  const ten = admit('c', 10);
  const eleven = admit('c', 11);
  expect(ran).toEqual(['c8']);
  expect(order.holding).toBe(2);
  // Another conversation is not held up by it.
  await admit('d', 3);
  expect(ran).toEqual(['c8', 'd3']);
  await expect(admit('c', 9)).resolves.toBe(9);
  await expect(ten).resolves.toBe(10);
  await expect(eleven).resolves.toBe(11);
  expect(ran).toEqual(['c8', 'd3', 'c9', 'c10', 'c11']);
  expect(order.holding).toBe(0);
  expect(timers.count).toBe(0);
  await admit('c', 12);
  expect(ran.at(-1)).toBe('c12');
});

it('hands held events on in seq order when the hold runs out, and a late one after them', async () => {
  const { order, ran, admit, timers } = setup();
  await admit('c', 1);
  const four = admit('c', 4);
  const three = admit('c', 3);
  expect(ran).toEqual(['c1']);
  timers.fireAll();
  await expect(Promise.all([three, four])).resolves.toEqual([3, 4]);
  expect(ran).toEqual(['c1', 'c3', 'c4']);
  expect(order.holding).toBe(0);
  // 2 turns up late: handed on at once (the sequencer knows whether it went out), and 5 is next.
  await admit('c', 2);
  await admit('c', 5);
  expect(ran).toEqual(['c1', 'c3', 'c4', 'c2', 'c5']);
});

it('hands a repeat of a held or an older seq on at once, and passes a failure on', async () => {
  const { ran, admit, timers } = setup();
  await admit('c', 5);
  const seven = admit('c', 7);
  await admit('c', 7); // a redelivery while the first copy waits
  await admit('c', 4); // older than next
  expect(ran).toEqual(['c5', 'c7', 'c4']);
  const order = new ArrivalOrder({ setTimer: timers.setTimer });
  await order.admit('e', 1, () => Promise.resolve());
  const failing = order.admit('e', 3, () => Promise.reject(new Error('store down')));
  await order.admit('e', 2, () => Promise.resolve());
  await expect(failing).rejects.toThrow('store down');
  await admit('c', 6);
  await expect(seven).resolves.toBe(7);
  expect(ran).toEqual(['c5', 'c7', 'c4', 'c6', 'c7']);
});

it('releases everything held once too much waits behind one gap', async () => {
  const { order, ran, admit } = setup();
  await admit('c', 1);
  const held = Array.from({ length: 256 }, (_, i) => admit('c', 3 + i));
  expect(order.holding).toBe(256);
  expect(ran).toHaveLength(1);
  const last = admit('c', 259);
  await Promise.all([...held, last]);
  expect(ran).toHaveLength(258);
  expect(ran.slice(1, 4)).toEqual(['c3', 'c4', 'c5']);
  expect(order.holding).toBe(0);
});

it('lets the hold run out on its own timer (and an I/O turn after it)', async () => {
  const order = new ArrivalOrder({ holdMs: 5 });
  const ran: number[] = [];
  const run = (seq: number) => () => {
    ran.push(seq);
    return Promise.resolve();
  };
  await order.admit('c', 1, run(1));
  const started = Date.now();
  await order.admit('c', 3, run(3));
  expect(Date.now() - started).toBeGreaterThanOrEqual(4);
  expect(ran).toEqual([1, 3]);
  expect(order.holding).toBe(0);
});

it('by default waits out a skew of tens of milliseconds, as two busy nodes publish with', async () => {
  const order = new ArrivalOrder();
  const ran: number[] = [];
  const run = (seq: number) => () => {
    ran.push(seq);
    return Promise.resolve();
  };
  await order.admit('c', 1, run(1));
  const third = order.admit('c', 3, run(3));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(ran).toEqual([1]);
  await order.admit('c', 2, run(2));
  await third;
  expect(ran).toEqual([1, 2, 3]);
});
