// The JSON depth bounds: a linear scan of text or bytes, and an iterative walk of decoded values.
import { jsonTextTooDeep, MAX_JSON_DEPTH, valueTooDeep } from '../../src/protocol/json-limits';

const arrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

describe('jsonTextTooDeep', () => {
  it.each([
    ['arrays at the bound', arrays(MAX_JSON_DEPTH), false],
    ['arrays past the bound', arrays(MAX_JSON_DEPTH + 1), true],
    ['objects at the bound', objects(MAX_JSON_DEPTH), false],
    ['objects past the bound', objects(MAX_JSON_DEPTH + 1), true],
    ['a bomb', arrays(100_000), true],
    ['brackets inside a string', `{"s":"${'['.repeat(100)}"}`, false],
    ['an escaped quote before brackets', `{"s":"\\"${'['.repeat(100)}"}`, false],
    ['an escaped backslash ending a string', `{"s":"\\\\",${'"k":['.repeat(3)}0]]]}`, false],
    ['siblings that are each shallow', `[${Array(1000).fill('[]').join(',')}]`, false],
    ['scalars', '42', false],
  ])('%s', (_label, text, deep) => {
    expect(jsonTextTooDeep(text)).toBe(deep);
    expect(jsonTextTooDeep(Buffer.from(text))).toBe(deep);
  });

  it('is not fooled by multi-byte UTF-8 characters', () => {
    const text = `{"s":"é\u5b22\u2200${'['.repeat(50)}"}`;
    expect(jsonTextTooDeep(Buffer.from(text, 'utf8'))).toBe(false);
  });

  it('takes the bound as a parameter', () => {
    expect(jsonTextTooDeep(arrays(3), 2)).toBe(true);
    expect(jsonTextTooDeep(arrays(2), 2)).toBe(false);
  });
});

describe('valueTooDeep', () => {
  it.each([
    ['arrays at the bound', arrays(MAX_JSON_DEPTH), false],
    ['arrays past the bound', arrays(MAX_JSON_DEPTH + 1), true],
    ['objects past the bound', objects(MAX_JSON_DEPTH + 1), true],
    ['a bomb', arrays(100_000), true],
  ])('%s', (_label, text, deep) => {
    expect(valueTooDeep(JSON.parse(text))).toBe(deep);
  });

  it('treats scalars, null and binary data as leaves', () => {
    expect(valueTooDeep(null)).toBe(false);
    expect(valueTooDeep('x')).toBe(false);
    expect(valueTooDeep([Buffer.alloc(10), new ArrayBuffer(4), new Uint8Array(3)], 1)).toBe(false);
  });

  it('walks every branch, not only the first', () => {
    const value = { a: 1, b: [[]], c: { d: { e: [[[]]] } } };
    expect(valueTooDeep(value, 6)).toBe(false);
    expect(valueTooDeep(value, 5)).toBe(true);
  });
});
