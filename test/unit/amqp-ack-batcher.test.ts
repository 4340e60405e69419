// AckBatcher: what reaches the channel when deliveries finish in and out of order.
import type { Message } from 'amqplib';
import { AckBatcher } from '../../src/adapters/bus/amqp-ack-batcher';
import { createLogger } from '../../src/observability/logger';

const delivery = (tag: number): Message =>
  ({ fields: { deliveryTag: tag }, properties: {}, content: Buffer.from('') }) as Message;

function setup() {
  const acks: { tag: number; multiple: boolean }[] = [];
  let open = true;
  const batcher = new AckBatcher(
    {
      ack: (message: Message, allUpTo?: boolean) => {
        acks.push({ tag: message.fields.deliveryTag, multiple: allUpTo === true });
      },
    },
    () => open,
    createLogger('silent', 'test'),
  );
  const received = (...tags: number[]) => tags.map((t) => (batcher.received(delivery(t)), t));
  return {
    acks,
    batcher,
    received,
    close: () => (open = false),
    turn: () => new Promise<void>((resolve) => setImmediate(resolve)),
  };
}

it('acks a run finished in one turn with a single multiple ack of its newest', async () => {
  const t = setup();
  t.received(1, 2, 3);
  for (const tag of [2, 1, 3]) t.batcher.ack(delivery(tag));
  expect(t.acks).toEqual([]);
  await t.turn();
  expect(t.acks).toEqual([{ tag: 3, multiple: true }]);
});

it('acks finished deliveries behind an unfinished one each on its own, and that one later', async () => {
  const t = setup();
  t.received(1, 2, 3);
  t.batcher.ack(delivery(2));
  t.batcher.ack(delivery(3));
  await t.turn();
  expect(t.acks).toEqual([
    { tag: 2, multiple: false },
    { tag: 3, multiple: false },
  ]);
  t.received(4);
  t.batcher.ack(delivery(1));
  t.batcher.ack(delivery(4));
  await t.turn();
  // 2 and 3 are settled already, so the run from 1 reaches 4.
  expect(t.acks.slice(2)).toEqual([{ tag: 4, multiple: true }]);
});

it('lets a nacked delivery out of the run, and acks nothing once the channel closed', async () => {
  const t = setup();
  t.received(1, 2, 3);
  t.batcher.settledOtherwise(delivery(2));
  t.batcher.ack(delivery(1));
  t.batcher.ack(delivery(3));
  t.batcher.flush();
  expect(t.acks).toEqual([{ tag: 3, multiple: true }]);
  t.received(4);
  t.batcher.ack(delivery(4));
  t.close();
  await t.turn();
  expect(t.acks).toHaveLength(1);
});
