import { describe, expect, it } from 'vitest';
import { graphql } from '../graphql-js.js';
import { buildGatewaySchema } from '../schema/build-gateway-schema.js';
import { operationComplexity, useComplexityLimit } from './complexity-limit.js';
import {
  DEFAULT_MAX_INTROSPECTION_DEPTH,
  operationDepth,
  operationDepths,
  useDepthLimit,
} from './depth-limit.js';

const schema = await buildGatewaySchema();
const op = (query: string, variables?: Record<string, unknown>) => ({
  schema,
  document: graphql.parse(query),
  variables,
});

describe('depth limit', () => {
  it('lets the standard introspection query through and refuses runaway introspection nesting', () => {
    expect(operationDepths(op(graphql.getIntrospectionQuery())).introspection).toBeLessThanOrEqual(
      DEFAULT_MAX_INTROSPECTION_DEPTH,
    );
    const runaway = `{ __schema { types { ${'fields { type { '.repeat(12)}name${' } }'.repeat(12)} } } }`;
    expect(operationDepths(op(runaway)).introspection).toBeGreaterThan(DEFAULT_MAX_INTROSPECTION_DEPTH);
  });

  it('counts nesting through fragments and ignores introspection', () => {
    expect(operationDepth(op('{ health { status } }'))).toBe(2);
    expect(
      operationDepth(op('query { runs { ...R } } fragment R on RunConnection { edges { node { id } } }')),
    ).toBe(4);
    expect(operationDepth(op('{ __schema { types { fields { type { ofType { name } } } } } }'))).toBe(0);
  });

  it('refuses deeper operations with QUERY_TOO_DEEP and lets the rest through', () => {
    const plugin = useDepthLimit({ maxDepth: 3 });
    expect(plugin.onSubscribe?.(op('{ runs { edges { cursor } } }'))).toBeUndefined();
    const [error] = plugin.onSubscribe?.(op('{ runs { edges { node { id } } } }')) ?? [];
    expect(error.extensions.code).toBe('QUERY_TOO_DEEP');
  });

  it('does not loop on fragment cycles', () => {
    const doc =
      'query { runs { ...A } } fragment A on RunConnection { ...B } fragment B on RunConnection { ...A edges { cursor } }';
    expect(operationDepth(op(doc))).toBe(3);
  });
});

describe('complexity limit', () => {
  it('multiplies list selections by first (also through connection edges), else by the default list size', () => {
    expect(operationComplexity(op('{ health { status } }'))).toBe(2);
    const small = operationComplexity(op('{ runs(first: 1) { edges { node { id } } } }'));
    const large = operationComplexity(
      op('query($n: Int) { runs(first: $n) { edges { node { id } } } }', { n: 100 }),
    );
    expect(large).toBeGreaterThan(small * 50);
    expect(operationComplexity(op('{ segments { id } }'))).toBe(1 + 10 * 1);
  });

  it('costs a list by the size its schema field declares in extensions.listSize', () => {
    const plain = operationComplexity(op('{ interactions { id } }'));
    const withRounds = operationComplexity(
      op('{ interactions { id feedbackHistory { revision feedback } } }'),
    );
    expect(withRounds - plain).toBe(10 * (1 + 3 * 2));
  });

  it('refuses costlier operations with QUERY_TOO_COMPLEX', () => {
    const plugin = useComplexityLimit({ maxComplexity: 100 });
    expect(plugin.onSubscribe?.(op('{ runs(first: 5) { edges { node { id } } } }'))).toBeUndefined();
    const [error] = plugin.onSubscribe?.(op('{ runs(first: 100) { edges { node { id status } } } }')) ?? [];
    expect(error.extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('lets a runs list with their events pass at default page sizes, and names the arguments to lower when it refuses', () => {
    const plugin = useComplexityLimit();
    const everyday = '{ runs { edges { node { id status events { seq type } } } } }';
    expect(plugin.onSubscribe?.(op(everyday))).toBeUndefined();
    expect(
      plugin.onSubscribe?.(op('{ runs(first: 20) { edges { node { id status events { seq type } } } } }')),
    ).toBeUndefined();
    const [error] =
      plugin.onSubscribe?.(op('{ runs(first: 100) { edges { node { id events(limit: 500) { seq } } } } }')) ??
      [];
    expect(error.extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(error.message).toMatch(/lower `limit` of `events` \(now 500\) or `first` of `runs` \(now 100\)/);
  });
});
