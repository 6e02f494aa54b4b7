import type { FragmentDefinitionNode, SelectionSetNode } from 'graphql';
import { graphql } from '../graphql-js.js';

const { GraphQLError, Kind } = graphql;

import { type GatewayPlugin, type OperationCheck, operationCheckPlugin } from './gateway-plugin.js';

/** Options of {@link useDepthLimit}. */
export interface DepthLimitOptions {
  /** Deepest field nesting allowed (introspection fields are not counted). @default 10 */
  maxDepth?: number;
  /**
   * Deepest nesting inside `__schema` / `__type`: enough for the standard introspection
   * query of GraphQL tools (depth ~13), never the unbounded `ofType { fields { type ... } }`
   * chains that make a response grow exponentially. @default 20
   */
  maxIntrospectionDepth?: number;
}

/** Default of {@link DepthLimitOptions.maxIntrospectionDepth}. */
export const DEFAULT_MAX_INTROSPECTION_DEPTH = 20;

/** Default of {@link DepthLimitOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 10;

/**
 * Depth of an operation's deepest field, following fragments (a fragment cycle counts
 * once). Introspection subtrees are measured apart: `introspection` is the deepest of them.
 */
export function operationDepths(operation: OperationCheck): { depth: number; introspection: number } {
  let introspection = 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  const ops = operation.document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  for (const def of operation.document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const op = operation.operationName ? ops.find((o) => o.name?.value === operation.operationName) : ops[0];
  const selected = op?.selectionSet;
  const walk = (set: SelectionSetNode, visiting: Set<string>): number => {
    let max = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value === '__typename') continue;
        const below = 1 + (sel.selectionSet ? walk(sel.selectionSet, visiting) : 0);
        if (sel.name.value.startsWith('__')) introspection = Math.max(introspection, below);
        else max = Math.max(max, below);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        max = Math.max(max, walk(sel.selectionSet, visiting));
      } else {
        const name = sel.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        max = Math.max(max, walk(fragment.selectionSet, new Set([...visiting, name])));
      }
    }
    return max;
  };
  const depth = selected ? walk(selected, new Set()) : 0;
  return { depth, introspection };
}

/** Depth of an operation's deepest field outside introspection. */
export function operationDepth(operation: OperationCheck): number {
  return operationDepths(operation).depth;
}

/** Refuses operations nested deeper than `maxDepth`, with code QUERY_TOO_DEEP. */
export function useDepthLimit(options: DepthLimitOptions = {}): GatewayPlugin {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxIntrospectionDepth = options.maxIntrospectionDepth ?? DEFAULT_MAX_INTROSPECTION_DEPTH;
  return operationCheckPlugin('depth-limit', (operation) => {
    const { depth: own, introspection } = operationDepths(operation);
    const tooDeepIntrospection = introspection > maxIntrospectionDepth;
    if (own <= maxDepth && !tooDeepIntrospection) return undefined;
    const depth = tooDeepIntrospection ? introspection : own;
    const limit = tooDeepIntrospection ? maxIntrospectionDepth : maxDepth;
    return new GraphQLError(`Query depth ${depth} exceeds the limit of ${limit}`, {
      extensions: {
        code: 'QUERY_TOO_DEEP',
        llmteamCode: 'LLMT_E_GW_QUERY_TOO_DEEP',
        depth,
        maxDepth: limit,
        http: { status: 400 },
      },
    });
  });
}
