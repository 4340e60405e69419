// The OpenAPI 3.1 document, generated from the route table's zod schemas (never written by hand).
import {
  extendZodWithOpenApi,
  OpenApiGeneratorV31,
  OpenAPIRegistry,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorEnvelope } from './envelopes';
import { routeTable, type RouteDoc } from './route-table';

// The generator reads metadata through `.openapi()` on zod's prototype; this adds it (for every
// schema, already built or not) and changes nothing else about them.
extendZodWithOpenApi(z);

/** The document's return type is the generator's; tests and the route read it as plain JSON. */
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Invalid input (VALIDATION)',
  401: 'Missing, invalid or expired token (UNAUTHORIZED)',
  403: 'Not a participant, not an admin, or blocked (NOT_PARTICIPANT, NOT_ADMIN, BLOCKED)',
  404: 'No such resource (NOT_FOUND)',
  409: 'Conflict (CONFLICT, IDEMPOTENCY_CONFLICT)',
  429: 'Over a rate limit (RATE_LIMITED); see Retry-After',
  501: 'Disabled on this server (NOT_IMPLEMENTED)',
  503: 'A dependency is down (UNAVAILABLE); see Retry-After',
};

/** `/conversations/:id` → `/conversations/{id}`. */
export const openApiPath = (expressPath: string): string =>
  expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function responsesOf(route: RouteDoc): Record<string, ResponseConfig> {
  const responses: Record<string, ResponseConfig> = {};
  for (const status of route.success.statuses) {
    const description = STATUS_TEXT[status] ?? 'OK';
    responses[String(status)] =
      'body' in route.success
        ? { description, content: { 'application/json': { schema: route.success.body } } }
        : {
            description,
            content: { [route.success.mediaType]: { schema: { type: 'string' } } },
          };
  }
  for (const status of route.errors) {
    responses[String(status)] = {
      description: STATUS_TEXT[status] ?? 'Error',
      content: { 'application/json': { schema: errorEnvelope } },
    };
  }
  return responses;
}

function routeConfigOf(route: RouteDoc): RouteConfig {
  const { params, query, body } = route.request ?? {};
  return {
    method: route.method,
    path: openApiPath(route.path),
    summary: route.summary,
    tags: [route.tag],
    ...(route.auth && { security: [{ bearer: [] }] }),
    request: {
      ...(params && { params }),
      ...(query && { query }),
      ...(body && { body: { content: { 'application/json': { schema: body } } } }),
    },
    responses: responsesOf(route),
  };
}

let cached: OpenApiDocument | undefined;

/** Built once per process: the schemas do not change at run time. */
export function openApiDocument(): OpenApiDocument {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const route of routeTable) registry.registerPath(routeConfigOf(route));
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Parley',
      version: '0.1.0',
      description:
        'REST API of Parley. Realtime frames (Socket.IO and raw WebSocket) are described in docs/PROTOCOL.md.',
    },
  });
  return cached;
}
