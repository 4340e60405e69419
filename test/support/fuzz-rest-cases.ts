// Bad REST requests: for each route, broken path params, query strings, bodies, JSON text,
// encodings, tokens, sizes and methods. Each case breaks at least one thing that must make the
// node refuse it, and says which 4xx statuses count as the right refusal.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  badEmojiString,
  smuggledThroughProto,
  withOneBadField,
  withoutRequired,
} from './fuzz-fields';
import { badQuery, badQueryValue, badSegment, encodeAny } from './fuzz-rest-queries';
import { fillPath, methodsByPath, routesOf, type Route } from './fuzz-rest-routes';
import { semanticCases } from './fuzz-rest-semantic';
import {
  corruptJsonText,
  deepJson,
  invalidUtf8Mark,
  toBytes,
  toJson,
  type FuzzValue,
} from './fuzz-values';
import type { UserKey, World } from './fuzz-world';

export interface RestCase {
  route: string;
  family: string;
  /** A world user's token, a raw Authorization header, or none at all. */
  auth: { user: UserKey } | { header: string } | null;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The statuses that count as the right answer: 4xx refusals (200 only for hostile reads). */
  expect: number[];
}

/** Longest request target sent, well under Node's 16 KiB header limit. */
const MAX_PATH = 8000;

/**
 * An emoji path segment that is no emoji: percent-encoded (lone surrogates as bytes nobody may
 * decode), or not decodable at all. Empty, the path names no route.
 */
const badEmojiSegment: fc.Arbitrary<{ segment: string; expect: number[] }> = fc.oneof(
  badEmojiString.map((e) => ({ segment: encodeAny(e), expect: e === '' ? [404] : [400] })),
  fc
    .constantFrom('%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '%F0%9F%91')
    .map((segment) => ({ segment, expect: [400] })),
);

const BAD_HEADERS = ['', 'Bearer', 'Bearer ', 'Basic YWxpY2U6eA==', 'Token abc', 'Bearer a b'];

export function restCases(w: World, maxBodyBytes: number): fc.Arbitrary<RestCase> {
  const routes = routesOf(w);
  const byPath = methodsByPath(routes);
  const as = (user: UserKey = 'alice') => ({ user });
  const json = { 'content-type': 'application/json' };

  const forRoute = (r: Route): fc.Arbitrary<RestCase> => {
    const base = { route: r.name, method: r.method, headers: {}, auth: r.authed ? as() : null };
    const validBody = r.body ? Buffer.from(toJson(r.body.valid)) : undefined;
    // Weighted so the families that reach a route's own validation get most of the runs.
    const families: fc.WeightedArbitrary<RestCase>[] = [];
    const add = (weight: number, arbitrary: fc.Arbitrary<RestCase>): void => {
      families.push({ weight, arbitrary });
    };

    // Any token is an emoji that is 1-8 characters without whitespace or controls (`abc` too), so
    // an emoji param gets values no emoji can be, and the id params the malformed ids.
    const params = Object.keys(r.params).filter((p) => p !== 'emoji');
    if (r.params.emoji !== undefined) {
      add(
        3,
        badEmojiSegment.map(({ segment, expect }) => ({
          ...base,
          family: 'path:bad-emoji',
          path: fillPath(r, { ...r.params, emoji: segment }),
          expect,
        })),
      );
    }
    if (params.length > 0) {
      add(
        3,
        fc.tuple(fc.constantFrom(...params), badSegment).map(([p, seg]) => ({
          ...base,
          family: 'path:bad-id',
          path: fillPath(r, { ...r.params, [p]: seg }),
          body: validBody,
          headers: validBody ? json : {},
          expect: [400, 404],
        })),
      );
    }
    add(
      Object.keys(r.query).length === 0 ? 2 : 5,
      badQuery(r).map(({ query, family }) => ({
        ...base,
        family,
        path: `${fillPath(r)}?${query}`,
        body: validBody,
        headers: validBody ? json : {},
        expect: [400],
      })),
    );
    if (r.query.user_ids) {
      add(
        2,
        badQueryValue('userIds').map((v) => ({
          ...base,
          family: 'query:bad-user_ids',
          path: `${fillPath(r)}?user_ids=${encodeAny(v)}`,
          expect: [400],
        })),
      );
    }
    if (r.body) {
      const { spec, valid } = r.body;
      const badBodies = fc.oneof(
        { weight: 4, arbitrary: withOneBadField(spec, valid).map((b) => b.body) },
        ...(spec.required.length > 0
          ? [
              { weight: 1, arbitrary: withoutRequired(spec, valid).map((b) => b.body) },
              { weight: 1, arbitrary: smuggledThroughProto(spec, valid).map((b) => b.body) },
            ]
          : []),
      );
      add(
        10,
        badBodies.map((body) => ({
          ...base,
          family: 'body:bad-field',
          path: fillPath(r),
          headers: json,
          body: Buffer.from(toJson(body)),
          expect: [400],
        })),
      );
      add(
        1,
        fc
          .oneof(
            fc.constantFrom<FuzzValue>([], [valid], 'x', 0, true, ''),
            // null reads as "no body" where a body is optional (sync), so only where one is needed.
            ...(r.name === 'POST /messages/sync' ? [] : [fc.constant<FuzzValue>(null)]),
            deepJson(),
          )
          .map((body) => ({
            ...base,
            family: 'body:not-an-object',
            path: fillPath(r),
            headers: json,
            body: Buffer.from(toJson(body)),
            expect: [400],
          })),
      );
      add(
        2,
        badBodies
          .chain((body) =>
            fc.tuple(fc.constant(body), fc.constantFrom('bom', 'utf16', 'gzip', 'type', 'utf8')),
          )
          .chain(([body, how]) => encodedBody(toJson(body), how))
          .map(({ headers, bytes, how }) => ({
            ...base,
            family: `body:encoding-${how}`,
            path: fillPath(r),
            headers,
            body: bytes,
            expect: [400],
          })),
      );
    }
    // Broken JSON text: on every route, since bodies are parsed before any route runs.
    const text = toJson(r.body?.valid ?? { a: 1, b: [true, null], c: 'x' });
    add(
      2,
      corruptJsonText(text).map((t) => ({
        ...base,
        family: 'body:bad-json',
        path: fillPath(r),
        headers: json,
        body: toBytes(t),
        expect: [400],
      })),
    );
    if (r.authed) {
      add(
        2,
        fc
          .oneof(
            fc.constantFrom(...w.badTokens).map((t) => ({ header: `Bearer ${t}` })),
            fc.constantFrom(...BAD_HEADERS).map((header) => ({ header })),
            fc.constant(null),
          )
          .map((auth) => ({
            ...base,
            family: auth === null ? 'auth:missing' : 'auth:bad-token',
            auth,
            path: fillPath(r),
            headers: validBody ? json : {},
            body: validBody,
            expect: [401],
          })),
      );
    }
    const methods = byPath.get(r.path)!;
    const wrong = (['GET', 'POST', 'PATCH', 'DELETE', 'PUT'] as const).filter(
      (x) => !methods.has(x),
    );
    add(
      1,
      fc.constantFrom(...wrong).map((method) => ({
        ...base,
        family: 'method:unrouted',
        method,
        path: fillPath(r),
        expect: [404],
      })),
    );
    return fc.oneof(...families);
  };

  const oversized = fc
    .tuple(
      fc.constantFrom(...routes.filter((r) => r.method !== 'GET')),
      fc.nat(100_000),
      fc.boolean(),
    )
    .map(([r, extra, asJson]) => {
      const size = maxBodyBytes + 1 + extra;
      const body = asJson
        ? Buffer.from(`{"content":"${'x'.repeat(size)}"}`)
        : Buffer.alloc(size, 0x5b);
      return {
        route: r.name,
        family: 'body:too-large',
        auth: r.authed ? as() : null,
        method: r.method,
        path: fillPath(r),
        headers: json,
        body,
        expect: [413],
      };
    });

  return (
    fc
      .oneof(
        { weight: 160, arbitrary: fc.oneof(...routes.map(forRoute)) },
        { weight: 40, arbitrary: semanticCases(w) },
        { weight: 4, arbitrary: unroutedPaths(w) },
        // A megabyte each: a few dozen make the point.
        { weight: 2, arbitrary: oversized },
      )
      // Node's HTTP parser refuses request lines past 16 KiB (431) before Parley sees them.
      .filter((c) => c.path.length <= MAX_PATH)
  );
}

function encodedBody(
  text: string,
  how: string,
): fc.Arbitrary<{ headers: Record<string, string>; bytes: Buffer; how: string }> {
  switch (how) {
    case 'bom':
      return fc.constant({ headers: {}, bytes: toBytes(`\ufeff${text}`), how });
    case 'utf16':
      return fc.constant({
        headers: { 'content-type': 'application/json; charset=utf-16le' },
        bytes: Buffer.from(text, 'utf16le'),
        how,
      });
    case 'gzip':
      return fc.constantFrom('gzip', 'deflate', 'br', 'x-unknown', 'gzip, gzip').map((enc) => ({
        headers: { 'content-type': 'application/json', 'content-encoding': enc },
        bytes: enc === 'gzip' ? gzipSync(text) : Buffer.from(text),
        how: `${how}:${enc}`,
      }));
    case 'type':
      return fc
        .constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          '*/*',
          'application/json; charset=bogus',
          'application/json; charset=latin1',
          'application/json;;;',
          'application/vnd.api+json',
          '',
        )
        .map((type) => ({ headers: { 'content-type': type }, bytes: Buffer.from(text), how }));
    default:
      // Invalid UTF-8 in an extra member of an already bad body (in a key it could rename
      // the member that makes the body bad).
      return invalidUtf8Mark.map((mark) => ({
        headers: { 'content-type': 'application/json' },
        bytes: toBytes(text.replace(/^\{/, `{"zz":"a${mark}b",`)),
        how,
      }));
  }
}

function unroutedPaths(w: World): fc.Arbitrary<RestCase> {
  const m = '/api/v1/messages';
  return fc
    .tuple(
      fc.constantFrom(
        '/api/v1',
        '/api/v1/',
        '/api/v1/message',
        m,
        `${m}/conversation`,
        `${m}/users/search`,
        '/api/v2/messages/conversations',
        '/api/v1/auth',
        `${m}/conversations/${w.dm}/messages/${w.messages.dm.alice[0]!}/extra`,
        `${m}/conversations/${w.dm}/seen/more`,
        `${m}/direct`,
        `${m}/conversations//messages`,
        `${m}/sync/${w.users.alice.id}`,
      ),
      fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
    )
    .map(([path, method]) => ({
      route: 'unrouted',
      family: 'method:unrouted-path',
      auth: { user: 'alice' as const },
      method,
      path,
      headers: {},
      expect: [404],
    }));
}
