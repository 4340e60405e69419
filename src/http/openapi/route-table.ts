// Every HTTP route of the app with the zod schemas it validates its input with and answers with.
// The OpenAPI document is generated from this table; a test walks the Express router and fails
// when a route is missing here, and another validates real responses against these schemas.
import { z, type AnyZodObject, type ZodTypeAny } from 'zod';
import {
  addParticipantsBodySchema,
  conversationDetailSchema,
  conversationIdParams,
  conversationSummarySchema,
  createConversationBodySchema,
  editMessageBodySchema,
  listConversationsQuerySchema,
  listMessagesQuerySchema,
  loginBodySchema,
  muteBodySchema,
  messageIdParams,
  messagePublicSchema,
  participantParams,
  registerBodySchema,
  searchUsersQuerySchema,
  seenBodySchema,
  seenQuerySchema,
  seenResultSchema,
  sendMessageBodySchema,
  syncQuerySchema,
  syncRequestSchema,
  syncResultSchema,
  userIdParams,
  userPublicSchema,
} from '../../protocol/rest';
import {
  authResultSchema,
  healthzSchema,
  leftConversationSchema,
  pageEnvelope,
  readyzSchema,
  successEnvelope,
  wsHealthSchema,
} from './envelopes';

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

export interface RouteDoc {
  method: HttpMethod;
  /** Express syntax (`/conversations/:id`); the document spells it `{id}`. */
  path: string;
  summary: string;
  tag: 'auth' | 'conversations' | 'messages' | 'sync' | 'operations' | 'docs';
  /** Needs `Authorization: Bearer <token>`. */
  auth: boolean;
  request?: { params?: AnyZodObject; query?: AnyZodObject; body?: ZodTypeAny };
  /** The success answer: a JSON body (with its status codes), or another media type. */
  success:
    | { statuses: number[]; body: ZodTypeAny }
    | { statuses: number[]; mediaType: 'text/plain' | 'text/html' };
  /** Error statuses this route answers with the error envelope. */
  errors: number[];
}

const API = '/api/v1';
const M = `${API}/messages`;
/** Statuses every authenticated messaging route can answer with. */
const AUTHED = [400, 401, 429, 503];
const MEMBER = [...AUTHED, 403, 404];

export const routeTable: RouteDoc[] = [
  {
    method: 'post',
    path: `${API}/auth/register`,
    summary: 'Create a standalone account and get a token',
    tag: 'auth',
    auth: false,
    request: { body: registerBodySchema },
    success: { statuses: [201], body: successEnvelope(authResultSchema) },
    errors: [400, 409, 429, 501, 503],
  },
  {
    method: 'post',
    path: `${API}/auth/login`,
    summary: 'Log in to a standalone account',
    tag: 'auth',
    auth: false,
    request: { body: loginBodySchema },
    success: { statuses: [200], body: successEnvelope(authResultSchema) },
    errors: [400, 401, 429, 503],
  },
  {
    method: 'get',
    path: `${M}/search/users`,
    summary: 'Search users by name (the term is required)',
    tag: 'conversations',
    auth: true,
    request: { query: searchUsersQuerySchema },
    success: { statuses: [200], body: successEnvelope(z.array(userPublicSchema)) },
    errors: AUTHED,
  },
  {
    method: 'post',
    path: `${M}/conversations`,
    summary: 'Create a group, or get-or-create a direct conversation',
    tag: 'conversations',
    auth: true,
    request: { body: createConversationBodySchema },
    success: { statuses: [200, 201], body: successEnvelope(conversationDetailSchema) },
    errors: [...AUTHED, 404],
  },
  {
    method: 'get',
    path: `${M}/conversations`,
    summary: "The caller's conversations, most recently active first",
    tag: 'conversations',
    auth: true,
    request: { query: listConversationsQuerySchema },
    success: { statuses: [200], body: pageEnvelope(conversationSummarySchema) },
    errors: AUTHED,
  },
  {
    method: 'get',
    path: `${M}/conversations/:id`,
    summary: 'One conversation with its participants',
    tag: 'conversations',
    auth: true,
    request: { params: conversationIdParams },
    success: { statuses: [200], body: successEnvelope(conversationDetailSchema) },
    errors: MEMBER,
  },
  {
    method: 'post',
    path: `${M}/conversations/:id/participants`,
    summary: 'Add users to a group (admins only)',
    tag: 'conversations',
    auth: true,
    request: { params: conversationIdParams, body: addParticipantsBodySchema },
    success: { statuses: [200], body: successEnvelope(conversationDetailSchema) },
    errors: [...MEMBER, 409],
  },
  {
    method: 'delete',
    path: `${M}/conversations/:id/participants/:userId`,
    summary: 'Remove a participant from a group, or leave it',
    tag: 'conversations',
    auth: true,
    request: { params: participantParams },
    success: { statuses: [200], body: successEnvelope(leftConversationSchema) },
    errors: MEMBER,
  },
  {
    method: 'patch',
    path: `${M}/conversations/:id/mute`,
    summary: 'Mute the conversation for the caller (until a time, or until undone), or unmute it',
    tag: 'conversations',
    auth: true,
    request: { params: conversationIdParams, body: muteBodySchema },
    success: { statuses: [200], body: successEnvelope(conversationDetailSchema) },
    errors: MEMBER,
  },
  {
    method: 'post',
    path: `${M}/direct/:userId`,
    summary: 'Get or create the direct conversation with a user',
    tag: 'conversations',
    auth: true,
    request: { params: userIdParams },
    success: { statuses: [200, 201], body: successEnvelope(conversationDetailSchema) },
    errors: [...AUTHED, 404],
  },
  {
    method: 'get',
    path: `${M}/sync`,
    summary: 'Catch up from a cursor (same answer as the SYNC frame)',
    tag: 'sync',
    auth: true,
    request: { query: syncQuerySchema },
    success: { statuses: [200], body: successEnvelope(syncResultSchema) },
    errors: AUTHED,
  },
  {
    method: 'post',
    path: `${M}/sync`,
    summary: 'Catch up from a cursor and/or per-conversation positions',
    tag: 'sync',
    auth: true,
    request: { body: syncRequestSchema },
    success: { statuses: [200], body: successEnvelope(syncResultSchema) },
    errors: AUTHED,
  },
  {
    method: 'get',
    path: `${M}/conversations/:id/messages`,
    summary: 'Messages, newest first, by cursor pages',
    tag: 'messages',
    auth: true,
    request: { params: conversationIdParams, query: listMessagesQuerySchema },
    success: { statuses: [200], body: pageEnvelope(messagePublicSchema) },
    errors: MEMBER,
  },
  {
    method: 'post',
    path: `${M}/conversations/:id/messages`,
    summary: 'Send a message (a repeated temp_id answers as the first send did)',
    tag: 'messages',
    auth: true,
    request: { params: conversationIdParams, body: sendMessageBodySchema },
    success: { statuses: [201], body: successEnvelope(messagePublicSchema) },
    errors: [...MEMBER, 409],
  },
  {
    method: 'patch',
    path: `${M}/conversations/:id/messages/:messageId`,
    summary: "Edit one's own message",
    tag: 'messages',
    auth: true,
    request: { params: messageIdParams, body: editMessageBodySchema },
    success: { statuses: [200], body: successEnvelope(messagePublicSchema) },
    errors: MEMBER,
  },
  {
    method: 'delete',
    path: `${M}/conversations/:id/messages/:messageId`,
    summary: "Delete one's own message (group admins: any message)",
    tag: 'messages',
    auth: true,
    request: { params: messageIdParams },
    success: { statuses: [200], body: successEnvelope(messagePublicSchema) },
    errors: MEMBER,
  },
  {
    method: 'patch',
    path: `${M}/conversations/:id/seen`,
    summary: 'Mark the conversation seen up to a message (default: the latest)',
    tag: 'messages',
    auth: true,
    request: { params: conversationIdParams, query: seenQuerySchema, body: seenBodySchema },
    success: { statuses: [200], body: successEnvelope(seenResultSchema) },
    errors: MEMBER,
  },
  {
    method: 'get',
    path: '/healthz',
    summary: 'The process is up',
    tag: 'operations',
    auth: false,
    success: { statuses: [200], body: healthzSchema },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    summary: "The node's dependencies are reachable (503 with the failing checks otherwise)",
    tag: 'operations',
    auth: false,
    success: { statuses: [200, 503], body: readyzSchema },
    errors: [],
  },
  {
    method: 'get',
    path: `${API}/ws/health`,
    summary: 'Realtime health of this node',
    tag: 'operations',
    auth: false,
    success: { statuses: [200], body: wsHealthSchema },
    errors: [],
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (bearer METRICS_TOKEN when set)',
    tag: 'operations',
    auth: false,
    success: { statuses: [200], mediaType: 'text/plain' },
    errors: [401],
  },
  {
    method: 'get',
    path: '/',
    summary: 'The demo web client (WEB_CLIENT)',
    tag: 'docs',
    auth: false,
    success: { statuses: [200], mediaType: 'text/html' },
    errors: [],
  },
  {
    method: 'get',
    path: `${API}/openapi.json`,
    summary: 'This document',
    tag: 'docs',
    auth: false,
    success: { statuses: [200], body: z.object({ openapi: z.string() }).passthrough() },
    errors: [],
  },
  {
    method: 'get',
    path: `${API}/docs`,
    summary: 'A browsable reference of this document',
    tag: 'docs',
    auth: false,
    success: { statuses: [200], mediaType: 'text/html' },
    errors: [],
  },
];
