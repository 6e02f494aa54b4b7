/** Duration: ISO 8601 (`PT10S`) or seconds. */
const duration = {
  oneOf: [
    { type: 'string', minLength: 2 },
    { type: 'number', minimum: 0 },
  ],
};

/** JSON Schema of the keys every action has, whatever its type (draft-07). */
export const actionConfigSchema: Record<string, unknown> = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    timeout: duration,
    retry_count: { type: 'integer', minimum: 0, maximum: 100 },
    request_schema: { type: 'object' },
    response_schema: { type: 'object' },
    auth_type: { enum: ['none', 'bearer', 'basic', 'api_key', 'hmac'] },
    auth_config: { type: 'object' },
    rate_limit: {
      type: 'object',
      additionalProperties: false,
      properties: {
        requests_per_second: { type: 'number', exclusiveMinimum: 0 },
        requests_per_minute: { type: 'number', exclusiveMinimum: 0 },
        burst_size: { type: 'integer', minimum: 1 },
        per_tenant: { type: 'boolean' },
        tenant_requests_per_minute: { type: 'number', exclusiveMinimum: 0 },
        max_wait: duration,
      },
    },
    circuit_breaker: {
      type: 'object',
      additionalProperties: false,
      properties: {
        failure_threshold: { type: 'integer', minimum: 1 },
        open_timeout: duration,
      },
    },
    max_concurrency: { type: 'integer', minimum: 1 },
    max_queue: { type: 'integer', minimum: 0 },
  },
};
