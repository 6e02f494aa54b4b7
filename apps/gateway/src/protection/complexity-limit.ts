import type { FragmentDefinitionNode, GraphQLNamedType, SelectionSetNode, ValueNode } from 'graphql';
import { graphql } from '../graphql-js.js';
import { type GatewayPlugin, type OperationCheck, operationCheckPlugin } from './gateway-plugin.js';

const {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
} = graphql;

/** Options of {@link useComplexityLimit}. */
export interface ComplexityLimitOptions {
  /** Highest cost allowed. @default 5000 */
  maxComplexity?: number;
  /** Assumed size of a list field without a `first` or `limit` argument. @default 10 */
  defaultListSize?: number;
}

/** Default of {@link ComplexityLimitOptions.maxComplexity}. */
export const DEFAULT_MAX_COMPLEXITY = 5000;

/** A list field that multiplies the cost of what it selects, and the argument that sizes it. */
interface Multiplier {
  field: string;
  argument?: string;
  size: number;
}

function numberArg(
  value: ValueNode | undefined,
  variables: Record<string, unknown> | null | undefined,
): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables?.[value.name.value];
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

/**
 * Estimated cost of an operation: every field costs 1, and a list field multiplies the cost
 * of what it selects by its `first` / `limit` argument, else by the size its schema field
 * declares in `extensions.listSize` (a list bounded by the record that holds it), else by
 * `defaultListSize`.
 */
export function operationComplexity(operation: OperationCheck, defaultListSize = 10): number {
  return complexityOf(operation, defaultListSize).cost;
}

/** The cost, and the list fields that multiply it (largest first). */
function complexityOf(
  operation: OperationCheck,
  defaultListSize: number,
): { cost: number; multipliers: Multiplier[] } {
  const multipliers = new Map<string, Multiplier>();
  const { schema, document, variables } = operation;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const op = operation.operationName ? ops.find((o) => o.name?.value === operation.operationName) : ops[0];
  if (!op) return { cost: 0, multipliers: [] };
  const root =
    op.operation === 'query'
      ? schema.getQueryType()
      : op.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  // `pageSize`: the `first` of an enclosing connection field (runs(first) { edges }), applied to its lists.
  const walk = (
    type: GraphQLNamedType | null | undefined,
    set: SelectionSetNode,
    visiting: Set<string>,
    pageSize?: number,
  ): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        // Only __typename is free: introspection fields nest like any other.
        if (sel.name.value === '__typename') continue;
        const field =
          type && (isObjectType(type) || isInterfaceType(type))
            ? type.getFields()[sel.name.value]
            : undefined;
        const list = field ? isListType(getNullableType(field.type)) : false;
        const sizeArg = sel.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'limit');
        const declared = field?.args.find((a) => a.name === 'first' || a.name === 'limit')?.defaultValue;
        const own =
          numberArg(sizeArg?.value, variables) ?? (typeof declared === 'number' ? declared : undefined);
        const hinted = field?.extensions?.listSize;
        const size = list ? (own ?? pageSize ?? (typeof hinted === 'number' ? hinted : defaultListSize)) : 1;
        const sizingArg = field?.args.find((a) => a.name === 'first' || a.name === 'limit')?.name;
        if (sizingArg && sel.selectionSet) {
          const key = `${sel.name.value}.${sizingArg}`;
          const known = multipliers.get(key);
          const by = list ? size : (own ?? defaultListSize);
          if (!known || known.size < by)
            multipliers.set(key, { field: sel.name.value, argument: sizingArg, size: by });
        }
        const childType = field ? getNamedType(field.type) : undefined;
        const childPage = list ? undefined : own;
        const child = sel.selectionSet
          ? walk(
              childType && isCompositeType(childType) ? childType : undefined,
              sel.selectionSet,
              visiting,
              childPage,
            )
          : 0;
        cost += 1 + Math.max(1, size) * child;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        cost += walk(cond, sel.selectionSet, visiting, pageSize);
      } else {
        const fragment = fragments.get(sel.name.value);
        if (!fragment || visiting.has(sel.name.value)) continue;
        cost += walk(
          schema.getType(fragment.typeCondition.name.value),
          fragment.selectionSet,
          new Set([...visiting, sel.name.value]),
          pageSize,
        );
      }
    }
    return cost;
  };
  const cost = walk(root, op.selectionSet, new Set());
  return { cost, multipliers: [...multipliers.values()].sort((a, b) => b.size - a.size) };
}

/** Refuses operations whose estimated cost is above `maxComplexity`, with code QUERY_TOO_COMPLEX. */
export function useComplexityLimit(options: ComplexityLimitOptions = {}): GatewayPlugin {
  const maxComplexity = options.maxComplexity ?? DEFAULT_MAX_COMPLEXITY;
  const listSize = options.defaultListSize ?? 10;
  return operationCheckPlugin('complexity-limit', (operation) => {
    const { cost: complexity, multipliers } = complexityOf(operation, listSize);
    if (complexity <= maxComplexity) return undefined;
    const hint = multipliers.length
      ? `; lower ${multipliers.map((m) => `\`${m.argument}\` of \`${m.field}\` (now ${m.size})`).join(' or ')}, or select fewer fields`
      : '; select fewer fields';
    return new GraphQLError(`Query complexity ${complexity} exceeds the limit of ${maxComplexity}${hint}`, {
      extensions: {
        code: 'QUERY_TOO_COMPLEX',
        llmteamCode: 'LLMT_E_GW_QUERY_TOO_COMPLEX',
        complexity,
        maxComplexity,
        http: { status: 400 },
      },
    });
  });
}
