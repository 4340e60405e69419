// Broken path segments and query strings: ids that are not ids, bad percent-encoding, unknown,
// repeated and bracketed keys (docs/PROTOCOL.md §4.4), limits out of range and cursors nobody
// was given.
import fc from 'fast-check';
import type { QueryKind, Route } from './fuzz-rest-routes';
import {
  hexId,
  longString,
  malformedIdString,
  mongoOperator,
  toJson,
  unicodeEdgeString,
} from './fuzz-values';

/** Percent-encodes anything, lone surrogates included (as the UTF-8 bytes nobody may decode). */
export function encodeAny(text: string): string {
  let out = '';
  for (const ch of text) {
    const unit = ch.charCodeAt(0);
    if (ch.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += `%${(0xe0 | (unit >> 12)).toString(16)}%${(0x80 | ((unit >> 6) & 0x3f)).toString(16)}`;
      out += `%${(0x80 | (unit & 0x3f)).toString(16)}`;
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out.toUpperCase().replace(/%([0-9A-F]{2})/g, '%$1');
}

/** Raw sequences no decoder accepts, or that decode to something no id or number can be. */
const BAD_PERCENT = [
  '%',
  '%Z',
  '%ZZ',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '%00',
  '%2e%2e',
  '%2F',
  '%252F',
  '%u0041',
  `${'a'.repeat(24)}%00`,
  'A'.repeat(24),
  '%7B%22%24gt%22%3A%22%22%7D',
];

/** A path segment that is not an id (never empty: `/conversations/` is another route). */
export const badSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...BAD_PERCENT),
  malformedIdString.filter((s) => s.length > 0 && s.length <= 1500).map(encodeAny),
  mongoOperator.map((v) => encodeAny(toJson(v))),
  unicodeEdgeString.map(encodeAny),
);

const BAD_PERCENT_VALUE = ['%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%FF%FE', '%u0035'];

export function badQueryValue(kind: QueryKind, min = 1, max = 100): fc.Arbitrary<string> {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  switch (kind) {
    case 'limit':
      return fc.oneof(
        fc.constantFrom('-1', '1.5', '1e2', ' 5', '5 ', '0x10', '', '+5', 'abc', '\uff15', 'null'),
        fc.constantFrom(String(min - 1), '00', String(max + 1), '1000000', '99999999999999999999'),
        fc.integer({ min: max + 1, max: 999_999 }).map(String),
        fc.constantFrom(...BAD_PERCENT_VALUE),
        mongoOperator.map(toJson),
      );
    case 'cursor':
    case 'convCursor':
      return fc.oneof(
        fc.constantFrom(...BAD_PERCENT_VALUE, '!!', 'a b', 'eyJ', '=', 'null', '[]'),
        fc.constant('A'.repeat(201)),
        fc
          .constantFrom<unknown>(
            { s: 0 },
            { s: -1 },
            { s: 1.5 },
            { s: '1' },
            { s: { $gt: 0 } },
            { t: -1, id: 'a'.repeat(24) },
            { t: 1.5, id: 'a'.repeat(24) },
            { t: 8.64e15 + 1, id: 'a'.repeat(24) },
            { t: 1, id: { $gt: '' } },
            { t: '1', id: 'A'.repeat(24) },
            {},
            [],
            null,
          )
          .filter((v) => kind === 'cursor' || (v as { s?: unknown } | null)?.s === undefined)
          .map(b64),
        // A cursor of the other list's shape.
        fc.constant(kind === 'cursor' ? b64({ t: 1, id: 'a'.repeat(24) }) : b64({ s: 5 })),
        unicodeEdgeString,
      );
    case 'since':
      return fc.oneof(
        fc.string({ minLength: 1, maxLength: 200 }),
        hexId,
        longString(201, 1000),
        fc.constantFrom(...BAD_PERCENT_VALUE),
      );
    case 'q':
      return fc.oneof(fc.constantFrom('', ' ', '+', '%20%20', '\t'), longString(65, 400));
    case 'searchQ':
      return fc.oneof(
        fc.constantFrom('', ' ', '+', '%20%20', '\t', '!?', '***', '"" ()'),
        longString(201, 600),
      );
    case 'messageId':
      return fc.oneof(
        malformedIdString.filter((s) => s.length <= 1500),
        mongoOperator.map(toJson),
        fc.constantFrom(...BAD_PERCENT_VALUE),
      );
    case 'userIds':
      return fc.oneof(
        malformedIdString.filter((s) => s.length > 0 && s.length <= 1500 && !s.includes(',')),
        fc.tuple(hexId, malformedIdString).map(([a, b]) => `${a},${b || 'x'}`),
        fc.constantFrom('', '[]', '[1,2]', '[null]', '[{"$gt":""}]', '["x"', ',,,', '[[[["a"]]]]'),
        fc.integer({ min: 33, max: 1200 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
        mongoOperator.map((v) => `[${toJson(v)}]`),
      );
  }
}

/** `key=value` pairs, encoded, from already encoded or raw parts. */
const pair = (key: string, value: string, raw = false): string =>
  `${raw ? key : encodeAny(key)}=${raw ? value : encodeAny(value)}`;

export function badQuery(route: Route): fc.Arbitrary<{ query: string; family: string }> {
  const allowed = Object.keys(route.query);
  const isKnown = (k: string): boolean => allowed.includes(k);
  const unknownKey = fc
    .oneof(
      fc.constantFrom('foo', '$where', '__proto__', 'constructor', 'Limit', 'limit ', 'positions'),
      fc.string({ maxLength: 10 }),
      unicodeEdgeString,
    )
    .filter((k) => !isKnown(k) && !/[[\]]/.test(k));
  const options: fc.WeightedArbitrary<{ query: string; family: string }>[] = [
    {
      weight: 1,
      arbitrary: fc
        .tuple(unknownKey, fc.string({ maxLength: 10 }))
        .map(([k, v]) => ({ query: pair(k, v), family: 'query:unknown-key' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...allowed, 'a', 'message_id', 'user_ids'),
          fc.constantFrom('[$ne]', '[$gt]', '[]', '[0]', '[a][b]', ']', '%5B%24ne%5D', '%5B%5D'),
          fc.string({ maxLength: 6 }),
        )
        .map(([k, br, v]) => ({ query: `${k}${br}=${encodeAny(v)}`, family: 'query:brackets' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('%ZZ=1', '%=1', '%E0%A4%A=1', '%C0%AF=1', '=1', '%00=1')
        .map((query) => ({ query, family: 'query:bad-key-encoding' })),
    },
  ];
  const single = allowed.filter((k) => route.query[k]!.kind !== 'userIds');
  if (single.length > 0) {
    options.push({
      weight: 1,
      arbitrary: fc
        .constantFrom(...single)
        .map((k) => ({ query: `${k}=1&${k}=1`, family: 'query:repeated' })),
    });
    options.push({
      weight: 5,
      arbitrary: fc.constantFrom(...single).chain((k) => {
        const spec = route.query[k]!;
        return badQueryValue(spec.kind, spec.min, spec.max).map((v) => ({
          query: BAD_PERCENT_VALUE.includes(v) ? `${k}=${v}` : pair(k, v),
          family: `query:bad-${spec.kind}`,
        }));
      }),
    });
  }
  return fc.oneof(...options);
}
