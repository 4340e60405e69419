// /api/v1/messages/conversations/{id}/messages and /seen: reading, sending, editing, receipts.
import { Router } from 'express';
import type { MessageService } from '../../app/message-service';
import type { ReceiptService } from '../../app/receipt-service';
import type { SyncService } from '../../app/sync-service';
import {
  conversationIdParams,
  editMessageBodySchema,
  listMessagesQuerySchema,
  messageIdParams,
  seenBodySchema,
  seenQuerySchema,
  sendMessageBodySchema,
  syncQuerySchema,
  syncRequestSchema,
} from '../../protocol/rest';
import { callerOf } from '../middleware/authenticate';
import { ok, page } from '../respond';
import { noQuery, parseInput, parseQuery } from '../validate';

export function messageRoutes(
  messages: MessageService,
  receipts: ReceiptService,
  sync: SyncService,
): Router {
  const router = Router();

  // SYNC over REST (same answer as the SYNC frame): GET resumes from a cursor, POST also takes
  // per-conversation positions.
  router.get('/sync', async (req, res) => {
    const query = parseQuery(syncQuerySchema, req.query);
    ok(res, await sync.sync(callerOf(res).id, { since: query.since, limit: query.limit }));
  });

  router.post('/sync', async (req, res) => {
    parseQuery(noQuery, req.query);
    const body = parseInput(syncRequestSchema, req.body ?? {}, 'body');
    ok(res, await sync.sync(callerOf(res).id, body));
  });

  router.get('/conversations/:id/messages', async (req, res) => {
    const { id } = parseInput(conversationIdParams, req.params, 'path');
    const query = parseQuery(listMessagesQuerySchema, req.query);
    page(res, await messages.list(callerOf(res).id, id, query.cursor, query.limit));
  });

  router.post('/conversations/:id/messages', async (req, res) => {
    const { id } = parseInput(conversationIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    const body = parseInput(sendMessageBodySchema, req.body, 'body');
    const result = await messages.send(callerOf(res), id, {
      content: body.content,
      media: body.media,
      replyToMessageId: body.reply_to_message_id,
      tempId: body.temp_id,
      mentions: body.mentions,
    });
    // A retried tempId answers exactly as the original send did.
    ok(res, result.message, 201);
  });

  router.patch('/conversations/:id/messages/:messageId', async (req, res) => {
    const { id, messageId } = parseInput(messageIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    const body = parseInput(editMessageBodySchema, req.body, 'body');
    ok(res, await messages.edit(callerOf(res).id, id, messageId, body.content, body.mentions));
  });

  router.delete('/conversations/:id/messages/:messageId', async (req, res) => {
    const { id, messageId } = parseInput(messageIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    ok(res, await messages.remove(callerOf(res).id, id, messageId));
  });

  router.patch('/conversations/:id/seen', async (req, res) => {
    const { id } = parseInput(conversationIdParams, req.params, 'path');
    const query = parseQuery(seenQuerySchema, req.query);
    const body = parseInput(seenBodySchema, req.body, 'body');
    ok(res, await receipts.markSeen(callerOf(res).id, id, query.message_id ?? body?.message_id));
  });

  return router;
}
