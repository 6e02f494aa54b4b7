import { describe, expect, test } from 'vitest';
import { decodeValue, encodeValue, SHARED_VALUE_MIN_LENGTH } from './shared-values.js';

const source = (values: Map<string, string>) => ({
  parse: (text: string) => JSON.parse(text) as unknown,
  body: (hash: string) => {
    const body = values.get(hash);
    if (body === undefined) throw new Error(`missing ${hash}`);
    return body;
  },
});

const roundTrip = (value: unknown, values = new Map<string, string>()) =>
  decodeValue(encodeValue(value, values), source(values), new Map());

describe('shared values', () => {
  test('keeps small values inline, as plain JSON', () => {
    const values = new Map<string, string>();
    const value = { a: [1, 'two', null, { b: true }], c: 'é' };
    expect(encodeValue(value, values)).toBe(JSON.stringify(value));
    expect(values.size).toBe(0);
  });

  test('stores a large part once however many places hold it', () => {
    const values = new Map<string, string>();
    const blob = 'x'.repeat(SHARED_VALUE_MIN_LENGTH * 10);
    const first = encodeValue({ counter: 1, blob }, values);
    const second = encodeValue({ counter: 2, blob, again: [blob] }, values);
    expect(values.size).toBe(1);
    expect(first.length + second.length).toBeLessThan(600);
    expect(roundTrip({ counter: 2, blob, again: [blob] })).toEqual({ counter: 2, blob, again: [blob] });
  });

  test('a grown list stores only its new element and the list of references', () => {
    const values = new Map<string, string>();
    const message = (i: number) => ({ role: 'user', content: `${i}${'m'.repeat(2000)}` });
    encodeValue({ messages: [message(0), message(1)] }, values);
    const before = [...values.values()].reduce((n, b) => n + b.length, 0);
    encodeValue({ messages: [message(0), message(1), message(2)] }, values);
    const added = [...values.values()].reduce((n, b) => n + b.length, 0) - before;
    expect(added).toBeLessThan(2000 + 600);
  });

  test('round-trips values that look like the encoding, undefined and toJSON', () => {
    const tricky = {
      hash: `#[null,[[[],"${'a'.repeat(64)}"]]]`,
      pair: [{ a: 1 }, { b: 'y'.repeat(3000) }],
      nested: [[['z'.repeat(1500)]], [], {}],
      gone: undefined,
      holes: [undefined, 1],
      when: new Date(0),
    };
    expect(roundTrip(tricky)).toEqual(JSON.parse(JSON.stringify(tricky)));
    expect(roundTrip('s'.repeat(5000))).toBe('s'.repeat(5000));
    expect(roundTrip([['w'.repeat(5000)]])).toEqual([['w'.repeat(5000)]]);
    expect(roundTrip(null)).toBeNull();
  });
});
