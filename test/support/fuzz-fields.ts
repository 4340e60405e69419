// For each kind of field (fuzz-specs.ts) a generator of values its schema or rules must refuse,
// and bodies built from a valid one with exactly one thing broken.
import fc from 'fast-check';
import { BODIES, FRAMES, MEDIA_MAX, type BodySpec, type Field } from './fuzz-specs';
import {
  badId,
  deepJson,
  extraFields,
  hexId,
  longString,
  malformedIdString,
  mongoOperator,
  notAString,
  overflowNumber,
  unicodeEdgeString,
  type FuzzValue,
} from './fuzz-values';

const FIELD_NAMES = new Set([
  'type',
  ...Object.values(BODIES).flatMap((b) => Object.keys(b.fields)),
  ...Object.values(FRAMES).flatMap((b) => Object.keys(b.fields)),
]);

/** Extra members whose names no schema knows (so they stay noise, never the verdict). */
export const noise = extraFields.map((extra) =>
  Object.fromEntries(Object.entries(extra).filter(([k]) => !FIELD_NAMES.has(k))),
);

const BLANKS = ['', ' ', '\n\t ', '\u3000', '\u00a0\u2028', '\ufeff'];

const badUrl = fc.oneof(
  notAString,
  fc.constantFrom(
    'javascript:alert(1)',
    'ftp://example.com/a.jpg',
    'file:///etc/passwd',
    'data:image/png;base64,AAAA',
    'mailto:a@b.c',
    '//example.com/a.jpg',
    'http//example.com',
    'https://',
    'example.com/a.jpg',
    '',
  ),
  longString(2040, 4000).map((s) => `https://example.com/${encodeURIComponent(s)}`),
  unicodeEdgeString,
);

/** Not an integer in [min, max]; null only where null is not "absent". */
const badInt = (min: number, max: number, nullable = false): fc.Arbitrary<FuzzValue> =>
  fc.oneof(
    fc.integer({ min: -1_000_000, max: min - 1 }),
    ...(max < Number.MAX_SAFE_INTEGER
      ? [fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER })]
      : []),
    fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
      .filter((d) => !Number.isInteger(d) || d < min || d > max || Object.is(d, -0)),
    fc.constantFrom<FuzzValue>('5', '', true, [], [1], {}, ...(nullable ? [] : [null])),
    mongoOperator,
    overflowNumber,
  );

/** `count` distinct well-formed ids, cheaply. */
const manyIds = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `f${i.toString(16).padStart(23, '0')}`);

const goodMedia: FuzzValue = { url: 'https://example.com/a.jpg', type: 'image' };

const badMediaItem: fc.Arbitrary<FuzzValue> = fc.oneof(
  fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.integer(),
    fc.constant(null),
    fc.constant<FuzzValue>([]),
  ),
  badUrl.map((url) => ({ url, type: 'image' })),
  fc
    .oneof(notAString, fc.constantFrom('audio', 'IMAGE', 'Video', '', 'image '))
    .map((type) => ({ url: 'https://example.com/a.jpg', type })),
  fc
    .tuple(fc.constantFrom('width', 'height'), badInt(1, 100_000, true))
    .map(([k, v]) => ({ ...(goodMedia as object), [k]: v })),
  fc
    .oneof(
      fc.double({ noNaN: true, min: -1e9, max: -1e-9 }),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: 1e7 + 1 }),
      fc.constantFrom<FuzzValue>('1', true, {}),
      overflowNumber,
    )
    .map((duration) => ({ ...(goodMedia as object), duration })),
  fc
    .tuple(badUrl, fc.constantFrom('thumbnail_url', 'thumbnailUrl'))
    .map(([url, key]) => ({ ...(goodMedia as object), [key]: url })),
  fc.constantFrom<FuzzValue>({ type: 'image' }, { url: 'https://example.com/a.jpg' }, {}),
);

/**
 * One of each kind of character an emoji may not hold (§5.12): whitespace (the BOM included),
 * control characters, lone surrogates, private use and an unassigned code point.
 */
const NOT_IN_EMOJI = [
  ' ',
  '\t',
  '\n',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\ufeff',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\ud800',
  '\udfff',
  '\ue000',
  '\u{f0000}',
  '\u0378',
];

/** Strings that are no emoji: empty, too long, too many characters, or holding a bad one. */
export const badEmojiString: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  // Past 32 UTF-16 units.
  longString(33, 300),
  // 9-16 graphemes in at most 32 units.
  fc
    .tuple(
      fc.constantFrom('x', '\u00e9', '\u4e2d', '\u{1f44d}', ':'),
      fc.integer({ min: 9, max: 16 }),
    )
    .map(([g, n]) => g.repeat(n)),
  fc
    .tuple(
      fc.constantFrom(...NOT_IN_EMOJI),
      fc.constantFrom('', '\u{1f44d}', ':ship:', '\u{1f469}\u200d\u{1f4bb}'),
      fc.boolean(),
    )
    .map(([bad, emoji, first]) => (first ? bad + emoji : emoji + bad)),
);

/** A value the field's schema (or the message rules behind it) refuses. */
export function badValue(field: Field): fc.Arbitrary<FuzzValue> {
  switch (field.kind) {
    case 'id':
      return field.nullable ? badId : fc.oneof(badId, fc.constant(null));
    case 'ids':
      return fc.oneof(
        fc.oneof(malformedIdString, fc.integer(), fc.constant({}), mongoOperator, deepJson()),
        // null is "none" where the list is optional (a message's mentions).
        ...(field.nullable ? [] : [fc.constant<FuzzValue>(null)]),
        fc
          .tuple(fc.array(hexId, { maxLength: 3 }), badId, fc.nat(3))
          .map(([ids, bad, at]): FuzzValue => [...ids.slice(0, at), bad, ...ids.slice(at)]),
        fc.integer({ min: field.max + 1, max: field.max + 40 }).map(manyIds),
        ...(field.min > 0 ? [fc.constant<FuzzValue>([])] : []),
      );
    case 'text': {
      const options: fc.Arbitrary<FuzzValue>[] = [notAString];
      if (!field.nullable) options.push(fc.constant(null));
      if (field.max !== undefined) options.push(longString(field.max + 1, field.max * 3 + 10));
      if (field.min !== undefined && field.min > 0) options.push(longString(0, field.min - 1));
      if (field.blankBad) options.push(fc.constantFrom(...BLANKS));
      const pattern = field.pattern;
      if (pattern) {
        options.push(
          fc
            .oneof(unicodeEdgeString, fc.string({ minLength: 3, maxLength: 32 }))
            .filter((s) => !pattern.test(s)),
        );
      }
      return fc.oneof(...options);
    }
    case 'url':
      return field.nullable ? badUrl : fc.oneof(badUrl, fc.constant(null));
    case 'enum': {
      const values = field.values;
      return fc.oneof(
        notAString,
        fc.constant(null),
        fc
          .oneof(
            fc.constantFrom('direct', 'Group', 'CHANNEL', '', 'DIRECT ', ' GROUP', 'DIRECT\u0000'),
            unicodeEdgeString,
          )
          .filter((s) => !values.includes(s)),
      );
    }
    case 'int':
      return badInt(field.min, field.max);
    case 'bool':
      return fc.oneof(
        fc.constantFrom<FuzzValue>('true', 'false', '', 0, 1, [], {}, null),
        mongoOperator,
      );
    case 'futureTime':
      return fc.oneof(
        fc.oneof(notAString, fc.constant(null)).filter((v) => (field.nullable ? v !== null : true)),
        fc.constantFrom(
          'tomorrow',
          '',
          '2100-01-01',
          '2100-01-01T00:00:00',
          '2100-13-01T00:00:00Z',
          '2100-01-01 00:00:00Z',
          '2001-01-01T00:00:00Z',
          '1970-01-01T00:00:00.000+00:00',
        ),
        unicodeEdgeString,
      );
    case 'media':
      return fc.oneof(
        fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant({}), mongoOperator),
        fc
          .tuple(fc.array(fc.constant(goodMedia), { maxLength: 2 }), badMediaItem)
          .map(([good, bad]): FuzzValue => [...good, bad]),
        fc
          .integer({ min: MEDIA_MAX + 1, max: MEDIA_MAX + 30 })
          .map((n) => Array(n).fill(goodMedia)),
        fc.integer({ min: 1001, max: 1010 }).map((n) => Array(n).fill(goodMedia)),
        deepJson(),
      );
    case 'positions':
      return fc.oneof(
        fc.oneof(
          fc.string({ maxLength: 10 }),
          fc.integer(),
          fc.constant<FuzzValue>([1, 2]),
          fc.constant(true),
        ),
        mongoOperator,
        fc.constantFrom<FuzzValue>({ ['__proto__']: 1 }, { constructor: 1 }, { toString: 1 }),
        fc.tuple(malformedIdString, fc.nat()).map(([k, v]): FuzzValue => ({ [k]: v })),
        fc
          .tuple(hexId, badInt(0, Number.MAX_SAFE_INTEGER))
          .map(([k, v]): FuzzValue => ({ [k]: v })),
        fc
          .integer({ min: 1001, max: 1020 })
          .map((n): FuzzValue => Object.fromEntries(manyIds(n).map((k) => [k, 1]))),
      );
    case 'emoji':
      return fc.oneof(notAString, fc.constant(null), badEmojiString);
    case 'cursor':
      return fc.oneof(
        notAString,
        longString(201, 2000),
        fc.string({ minLength: 1, maxLength: 200 }),
        hexId,
        unicodeEdgeString,
      );
  }
}

/** The valid text fields of a spec filled to their limit exactly (still valid). */
function atTheLimit(spec: BodySpec, except: string): Record<string, FuzzValue> {
  return Object.fromEntries(
    Object.entries(spec.fields)
      .filter(([name, f]) => name !== except && f.kind === 'text' && f.max !== undefined)
      .map(([name, f]) => [name, 'x'.repeat((f as { max: number }).max)]),
  );
}

/**
 * A body (or frame payload) from `valid` with exactly one field made bad, plus optional noise:
 * extra members, and the other text fields filled up to their limits.
 */
export function withOneBadField(
  spec: BodySpec,
  valid: Record<string, FuzzValue>,
): fc.Arbitrary<{ field: string; body: Record<string, FuzzValue> }> {
  const names = Object.keys(spec.fields);
  return fc
    .constantFrom(...names)
    .chain((field) =>
      fc.tuple(
        fc.constant(field),
        badValue(spec.fields[field]!),
        fc.option(noise, { freq: 3 }),
        fc.nat(4),
      ),
    )
    .map(([field, value, extra, roll]) => ({
      field,
      body: {
        ...(extra ?? {}),
        ...valid,
        ...(roll === 0 ? atTheLimit(spec, field) : {}),
        [field]: value,
      },
    }));
}

/**
 * A body with its required fields only on a `__proto__` (or `constructor.prototype`) member: code
 * that merged input with Object.assign, or read it through the prototype chain, would see them.
 */
export function smuggledThroughProto(
  spec: BodySpec,
  valid: Record<string, FuzzValue>,
): fc.Arbitrary<{ field: string; body: Record<string, FuzzValue> }> {
  const hidden = Object.fromEntries(
    Object.entries(valid).filter(([k]) => spec.required.includes(k)),
  );
  const shown = Object.fromEntries(
    Object.entries(valid).filter(([k]) => !spec.required.includes(k)),
  );
  return fc.constantFrom(
    { field: '__proto__', body: { ...shown, ['__proto__']: hidden } },
    { field: 'constructor', body: { ...shown, constructor: { prototype: hidden } } },
  );
}

/** A body from `valid` without one of its required fields (plus optional noise). */
export function withoutRequired(
  spec: BodySpec,
  valid: Record<string, FuzzValue>,
): fc.Arbitrary<{ field: string; body: Record<string, FuzzValue> }> {
  return fc
    .tuple(fc.constantFrom(...spec.required), fc.option(noise, { freq: 2 }))
    .map(([field, extra]) => {
      const kept = Object.entries({ ...(extra ?? {}), ...valid }).filter(([k]) => k !== field);
      return { field, body: Object.fromEntries(kept) };
    });
}
