// HttpWebhookSender against a local receiver: the request it makes, and how each kind of answer
// (or none) is classified (docs/PROTOCOL.md §5.16).
import { HttpWebhookSender } from '../../src/adapters/webhooks/http-webhook-sender';
import { aWebhookNotification } from '../support/factories';
import { freePort } from '../support/free-port';
import { signatureVerifies, WebhookReceiver } from '../support/webhook-receiver';

const notification = aWebhookNotification();

describe('HttpWebhookSender', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
  });
  const sender = (timeoutMs = 2000, url = receiver.url) =>
    new HttpWebhookSender({ url, secret: 's3', timeoutMs, now: () => 1_772_366_400_000 });

  it('POSTs the body signed over its raw bytes, and reads a 2xx as delivered', async () => {
    receiver.answer(204);
    await expect(sender().send(notification)).resolves.toEqual({ kind: 'delivered', status: 204 });
    const request = await receiver.next();
    expect(JSON.parse(request.rawBody)).toEqual(notification);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'x-parley-event': 'message.created',
      'x-parley-delivery': notification.id,
      'x-parley-timestamp': '1772366400',
    });
    expect(signatureVerifies(request, 's3')).toBe(true);
  });

  it('reads 429 with Retry-After as retryable, 404 as permanent', async () => {
    receiver.answer({ status: 429, headers: { 'Retry-After': '7' } }, 404);
    await expect(sender().send(notification)).resolves.toEqual({
      kind: 'retryable',
      reason: 'HTTP 429',
      status: 429,
      retryAfterMs: 7000,
    });
    await expect(sender().send(notification)).resolves.toEqual({
      kind: 'permanent',
      reason: 'HTTP 404',
      status: 404,
    });
    await receiver.next();
    await receiver.next();
  });

  it('gives a hanging receiver up after the timeout, as retryable', async () => {
    receiver.answer({ status: 200, hang: true });
    await expect(sender(200).send(notification)).resolves.toEqual({
      kind: 'retryable',
      reason: 'no answer within 200 ms',
    });
    await receiver.next();
  });

  it('reads a refused connection as retryable', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}/`;
    const result = await sender(2000, nobody).send(notification);
    expect(result).toMatchObject({
      kind: 'retryable',
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
