/** The parts of JSON Schema the generated forms understand. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
}

/** A problem with a value, at a JSON pointer such as `/amount` ("" for the whole value). */
export interface SchemaProblem {
  path: string;
  message: string;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

/**
 * Checks a value against a schema and returns every problem, worded as the gateway's
 * validator (Ajv) words them, so the form says before sending what the server would say.
 * The gateway stays the authority: its answer is shown too when it refuses.
 */
export function validateSchema(schema: JsonSchema, value: unknown, path = ''): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const add = (message: string, at = path) => problems.push({ path: at, message });
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) {
      add(`must be ${types.join(',')}`);
      return problems;
    }
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    add('must be equal to one of the allowed values');
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value))
    add('must be equal to constant');
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) add(`must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) add(`must be <= ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      add(`must be > ${schema.exclusiveMinimum}`);
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
      add(`must be < ${schema.exclusiveMaximum}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength)
      add(`must NOT have fewer than ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && length > schema.maxLength)
      add(`must NOT have more than ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      add(`must match pattern "${schema.pattern}"`);
    if (schema.format === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
      add('must match format "email"');
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      add(`must NOT have fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      add(`must NOT have more than ${schema.maxItems} items`);
    if (schema.items)
      value.forEach((item, i) => {
        problems.push(...validateSchema(schema.items as JsonSchema, item, `${path}/${i}`));
      });
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? [])
      if (!(key in object)) add(`must have required property '${key}'`);
    for (const [key, sub] of Object.entries(schema.properties ?? {}))
      if (key in object) problems.push(...validateSchema(sub, object[key], `${path}/${key}`));
    if (schema.additionalProperties === false)
      for (const key of Object.keys(object))
        if (!schema.properties || !(key in schema.properties)) add('must NOT have additional properties');
  }
  return problems;
}
