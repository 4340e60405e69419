// Hostile values for the fuzz suite: malformed ids, Mongo operator objects, Unicode edge cases,
// strings past their limits, deep nesting and broken JSON text. Every generator here produces
// values that are wrong wherever they are used, unless its name says otherwise.
import fc from 'fast-check';

/** JSON text spliced verbatim into a serialised value: deep nesting, 1e400, broken tokens. */
export class RawJson {
  constructor(
    readonly text: string,
    /** Whether `text` is itself valid JSON (Socket.IO can only carry valid JSON). */
    readonly valid: boolean,
  ) {}
}

export type FuzzValue =
  null | boolean | number | string | RawJson | FuzzValue[] | { [key: string]: FuzzValue };

/** Serialises a value, splicing RawJson leaves in as they are. Own `__proto__` keys survive. */
export function toJson(value: FuzzValue): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether a value can be carried as parsed JSON (no invalid RawJson inside). */
export function isCarriable(value: FuzzValue): boolean {
  if (value instanceof RawJson) return value.valid;
  if (Array.isArray(value)) return value.every(isCarriable);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isCarriable);
  return true;
}

/** Whether a value holds RawJson anywhere (then only its exact text says what it is). */
export function containsRaw(value: FuzzValue): boolean {
  if (value instanceof RawJson) return true;
  if (Array.isArray(value)) return value.some(containsRaw);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsRaw);
  return false;
}

/** The deepest array/object nesting of JSON text (strings skipped), as a scanner sees it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

export const parsesAsJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

// ---- Unicode ----

/** Invalid UTF-8: overlong forms, encoded surrogates, past U+10FFFF, stray and cut sequences. */
const INVALID_UTF8: readonly number[][] = [
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xf0, 0x80, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xff],
  [0xfe],
  [0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
];
/** Private-use characters standing for INVALID_UTF8[i] until `toBytes` writes the bytes. */
const BYTE_MARK = 0xf8f0;

export const invalidUtf8Mark = fc
  .nat(INVALID_UTF8.length - 1)
  .map((i) => String.fromCharCode(BYTE_MARK + i));

/** UTF-8 bytes of `text`, each invalid-UTF-8 mark replaced by its byte sequence. */
export function toBytes(text: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const mark = text.charCodeAt(i) - BYTE_MARK;
    const bytes = mark >= 0 && mark < INVALID_UTF8.length ? INVALID_UTF8[mark] : undefined;
    if (bytes) {
      parts.push(Buffer.from(text.slice(start, i), 'utf8'), Buffer.from(bytes));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

const EDGE_CHARS = [
  '\ud800', // lone high surrogate
  '\udbff',
  '\udc00', // lone low surrogate
  '\udfff',
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u202e', // right-to-left override
  '\u200f', // right-to-left mark
  '\u2066',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\ufffe',
  '\uffff',
  '\u2028',
  '\u0301', // combining acute
  '\u{1f600}',
  '\u{10ffff}',
  '\u{1d518}',
  '"',
  '\\',
  '$',
  '.',
  '%',
  '\n',
];

/** Strings made of Unicode edge cases (lone surrogates, NUL, RTL marks, noncharacters …). */
export const unicodeEdgeString = fc.oneof(
  fc
    .array(fc.constantFrom(...EDGE_CHARS, 'a', '0', ' '), { minLength: 1, maxLength: 24 })
    .map((chars) => chars.join('')),
  fc.constantFrom('\u0301'.repeat(1000), '\u202e'.repeat(300), '\ud800'.repeat(500)),
);

// ---- strings past a limit ----

/**
 * A string of `min..max` UTF-16 units, every unit its own code point (no surrogates) and none
 * of them blank, so trimming cannot bring it back under a limit.
 */
export const longString = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom('x', 'ab', '\u00e9', '\u4e2d', '\u202e', 'y$', '0', '<b>'),
      fc.integer({ min, max }),
    )
    .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

// ---- ids ----

const HEX = '0123456789abcdef'.split('');
export const hexId = fc
  .array(fc.constantFrom(...HEX), { minLength: 24, maxLength: 24 })
  .map((a) => a.join(''));

/** Strings that are not 24 lowercase hex characters. */
export const malformedIdString: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{0,23}$/),
  fc.stringMatching(/^[0-9a-f]{25,40}$/),
  fc.stringMatching(/^[0-9A-F]{24}$/).filter((s) => /[A-F]/.test(s)),
  fc
    .tuple(hexId, fc.nat(23), fc.constantFrom('g', 'G', 'x', ' ', '-', '\u0000', '\u00e9', '$'))
    .map(([h, i, c]) => h.slice(0, i) + c + h.slice(i + 1)),
  hexId.map((h) => ` ${h}`),
  hexId.map((h) => `${h}\n`),
  hexId.map((h) => `${h}\u0000`),
  hexId.map((h) => `0x${h.slice(2)}`),
  fc.constantFrom(
    '',
    'null',
    'undefined',
    '[object Object]',
    '{"$gt":""}',
    '$where',
    'ObjectId("aaaaaaaaaaaaaaaaaaaaaaaa")',
    '../../../../etc/passwd',
    '%00',
  ),
  unicodeEdgeString,
  longString(25, 20000).map((s) => s.replace(/[^0-9a-f]/g, 'a')),
);

/** `{"$gt": ""}` and friends: what a query built from user input would obey. */
export const mongoOperator: fc.Arbitrary<FuzzValue> = fc.oneof(
  fc.constantFrom<FuzzValue>(
    { $gt: '' },
    { $where: '1' },
    { $ne: null },
    { $regex: '.*' },
    { $exists: true },
    { $in: [] },
    { $nin: [null] },
    { $expr: { $eq: [1, 1] } },
    { $or: [{}, { a: 1 }] },
    { $function: { body: 'function () { return true; }', args: [], lang: 'js' } },
    { _bsontype: 'ObjectId', id: 'aaaaaaaaaaaa' },
  ),
  fc
    .tuple(
      fc.constantFrom('$gt', '$gte', '$lt', '$ne', '$where', '$regex', '$type', '$size', '$not'),
      fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)),
    )
    .map(([op, v]): FuzzValue => ({ [op]: v })),
);

const scalar: fc.Arbitrary<FuzzValue> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.string({ maxLength: 12 }),
  fc.constant(null),
);

/** A value of no particular meaning (for extra fields and extra arguments). */
export const anyValue: fc.Arbitrary<FuzzValue> = fc.oneof(
  scalar,
  unicodeEdgeString,
  mongoOperator,
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }),
);

/** Deep nesting as JSON text: `min..10000` levels, 1,000–10,000 most of the time. */
export const deepJson = (min = 33): fc.Arbitrary<RawJson> =>
  fc
    .tuple(
      fc.oneof(
        { weight: 1, arbitrary: fc.integer({ min, max: 999 }) },
        { weight: 3, arbitrary: fc.integer({ min: 1000, max: 10000 }) },
      ),
      fc.constantFrom('array', 'object', 'mixed'),
    )
    .map(([depth, kind]) => {
      // Objects cost 5 bytes a level; capped so a frame stays under MAX_FRAME_BYTES.
      if (kind === 'array') return new RawJson('['.repeat(depth) + ']'.repeat(depth), true);
      const d = Math.min(depth, kind === 'object' ? 9000 : 10000);
      if (kind === 'object') return new RawJson('{"":'.repeat(d) + '0' + '}'.repeat(d), true);
      const half = Math.ceil(d / 2);
      return new RawJson('[{"":'.repeat(half) + '0' + '}]'.repeat(half), true);
    });

/** Numbers JSON can write but a schema must refuse as ints: 1e400 parses to Infinity. */
export const overflowNumber = fc
  .constantFrom('1e400', '-1e400', '1e309', '123456789012345678901234567890')
  .map((t) => new RawJson(t, true));

/** Tokens that are not JSON at all where a value should be. */
const BROKEN_TOKENS = [
  'NaN',
  'Infinity',
  '-Infinity',
  'undefined',
  "'x'",
  '0x10',
  '.5',
  '+1',
  '01',
  'nul',
];

/** An object with thousands of members (a wide object costs every walker that visits it). */
export const wideJson = fc
  .integer({ min: 500, max: 5000 })
  .map(
    (n) => new RawJson(`{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`, true),
  );

/** Any value of a type other than string (no null: null means "absent" for nullish fields). */
export const notAString: fc.Arbitrary<FuzzValue> = fc.oneof(
  wideJson,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant<FuzzValue>([]),
  fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  fc.constant<FuzzValue>({}),
  mongoOperator,
  deepJson(),
);

/** Anything but a 24-hex id string (null excluded, see notAString). */
export const badId: fc.Arbitrary<FuzzValue> = fc.oneof(
  { weight: 3, arbitrary: malformedIdString },
  { weight: 2, arbitrary: notAString },
  { weight: 2, arbitrary: mongoOperator },
);

/** Extra members for a body or frame: ignored by design, never what makes it bad. */
export const extraFields = fc.dictionary(
  fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '$set', 'id', '_id', 'x'),
    fc.string({ minLength: 1, maxLength: 10 }),
    unicodeEdgeString,
  ),
  anyValue,
  { minKeys: 1, maxKeys: 4 },
);

// ---- broken JSON text ----

const GARBAGE = fc.oneof(
  fc.constantFrom('x', '}', ']', ',', '{}', 'null', '\u0000', '\ufeff', ']]]', '"', '\\', '//'),
  fc.string({ minLength: 1, maxLength: 8 }).filter((s) => /^\S/.test(s)),
);

/**
 * Corruptions of JSON text that no JSON parser accepts: truncation, trailing garbage, quotes,
 * commas, comments, raw control characters, a BOM before broken text.
 */
export const corruptJsonText = (text: string): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.integer({ min: 1, max: Math.max(1, text.length - 1) }).map((n) => text.slice(0, n)),
      GARBAGE.map((g) => text + g),
      fc.constant(text.replace(/"/g, "'")),
      fc.constant(text.replace(/}$/, ',}')),
      fc.constant(`/*x*/${text}`),
      fc.constant(`${text}//`),
      fc.constant(text.replace(/"([^"]*)":/, '$1:')),
      fc.constant(text.replace('"', '"\u0001')),
      fc.constantFrom(...BROKEN_TOKENS).map((t) => text.replace(/:/, `:${t},"k":`)),
      fc.constant(`\ufeff${text.slice(0, -1)}`),
      fc.constant(text.replace(/:/, '::')),
    )
    .filter((t) => !parsesAsJson(t) && !parsesAsJson(t.replace(/^\ufeff/, '')));
