// /api/v1/messages: user search, conversations and group membership.
import { Router, type Request } from 'express';
import { validationError } from '../../domain/errors';
import type { ConversationService } from '../../app/conversation-service';
import type { MuteService } from '../../app/mute-service';
import type { UserService } from '../../app/user-service';
import {
  addParticipantsBodySchema,
  conversationIdParams,
  createConversationBodySchema,
  listConversationsQuerySchema,
  muteBodySchema,
  participantParams,
  searchUsersQuerySchema,
  userIdParams,
} from '../../protocol/rest';
import { callerOf } from '../middleware/authenticate';
import { ok, page } from '../respond';
import { noQuery, parseInput, parseQuery } from '../validate';

/** `user_ids` from the body, or from the query as repeated values, a comma list or a JSON array. */
function participantIdsOf(req: Request): unknown {
  const body: unknown = req.body;
  if (
    body !== undefined &&
    body !== null &&
    !(typeof body === 'object' && Object.keys(body).length === 0)
  ) {
    return body;
  }
  const raw = req.query.user_ids;
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const ids = values.flatMap((v) => {
    if (typeof v !== 'string') return [v];
    const text = v.trim();
    if (text.startsWith('[')) {
      try {
        return JSON.parse(text) as unknown[];
      } catch {
        return [text];
      }
    }
    return text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  });
  return { user_ids: ids };
}

export function conversationRoutes(deps: {
  conversations: ConversationService;
  mutes: MuteService;
  users: UserService;
}): Router {
  const { conversations, mutes, users } = deps;
  const router = Router();

  router.get('/search/users', async (req, res) => {
    const query = parseQuery(searchUsersQuerySchema, req.query);
    // An empty search would list every user: the term is required.
    if (query.q.trim() === '') throw validationError('query.q: a search term is required');
    ok(res, await users.search(callerOf(res).id, query.q, query.limit));
  });

  router.post('/conversations', async (req, res) => {
    parseQuery(noQuery, req.query);
    const body = parseInput(createConversationBodySchema, req.body, 'body');
    const result = await conversations.create(callerOf(res).id, {
      type: body.type,
      participantIds: body.participant_ids,
      name: body.name ?? null,
      avatarUrl: body.avatar_url ?? null,
    });
    ok(res, result.conversation, result.created ? 201 : 200);
  });

  router.get('/conversations', async (req, res) => {
    const query = parseQuery(listConversationsQuerySchema, req.query);
    page(res, await conversations.list(callerOf(res).id, query.cursor, query.limit));
  });

  router.get('/conversations/:id', async (req, res) => {
    const { id } = parseInput(conversationIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    ok(res, await conversations.get(callerOf(res).id, id));
  });

  router.post('/conversations/:id/participants', async (req, res) => {
    const { id } = parseInput(conversationIdParams, req.params, 'path');
    parseQuery(noQuery, req.query, { repeatable: ['user_ids'] });
    const body = parseInput(addParticipantsBodySchema, participantIdsOf(req), 'body');
    ok(res, await conversations.addParticipants(callerOf(res).id, id, body.user_ids));
  });

  router.delete('/conversations/:id/participants/:userId', async (req, res) => {
    const { id, userId } = parseInput(participantParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    ok(res, await conversations.removeParticipant(callerOf(res).id, id, userId));
  });

  router.patch('/conversations/:id/mute', async (req, res) => {
    const { id } = parseInput(conversationIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    const body = parseInput(muteBodySchema, req.body, 'body');
    const until = body.until == null ? null : new Date(body.until);
    ok(res, await mutes.setMute(callerOf(res).id, id, { muted: body.muted, until }));
  });

  router.post('/direct/:userId', async (req, res) => {
    const { userId } = parseInput(userIdParams, req.params, 'path');
    parseQuery(noQuery, req.query);
    const result = await conversations.getOrCreateDirect(callerOf(res).id, userId);
    ok(res, result.conversation, result.created ? 201 : 200);
  });

  return router;
}
