import { durationJsonSchema as duration } from '../../util/duration.js';

const assignee = {
  description: 'A user (`user:alice@example.com` or a plain id) or a group (`group:finance`).',
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  ],
};

/** JSON Schema of `human_task` config (keys follow the original contract). */
export const humanTaskConfigSchema: Record<string, unknown> = {
  type: 'object',
  required: ['task_type', 'title'],
  properties: {
    task_type: { enum: ['approval', 'choice', 'input', 'review', 'task', 'chat'] },
    title: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    assignee_ref: assignee,
    priority: { enum: ['low', 'normal', 'high', 'critical'] },
    options: { type: 'array', minItems: 1, description: 'Choices offered by a `choice` task.' },
    input_schema: { type: 'object', description: 'JSON Schema an `input` answer must satisfy.' },
    timeout: duration,
    timeout_hours: { type: 'number', exclusiveMinimum: 0 },
    on_timeout: { enum: ['fail', 'approve', 'reject', 'escalate'] },
    sla_warning: duration,
    sla_breach: duration,
    escalation_chain: {
      type: 'array',
      items: assignee,
      description: 'Next assignee for each escalation level.',
    },
    auto_approve_after: duration,
    assignment: {
      type: 'object',
      required: ['strategy'],
      additionalProperties: false,
      description: 'Gives the request to one member of the assignee group.',
      properties: {
        strategy: { enum: ['round_robin', 'least_loaded', 'capability'] },
        skills: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      },
    },
    required_approvers: {
      description: 'A list of users who must all approve, or { group, count }: N approvals from a group.',
      oneOf: [
        { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
        {
          type: 'object',
          required: ['count'],
          properties: { group: { type: 'string' }, count: { type: 'integer', minimum: 1 } },
          additionalProperties: false,
        },
      ],
    },
    max_revisions: { type: 'integer', minimum: 1 },
    sealed_fields: {
      type: 'array',
      items: { type: 'string' },
      description: 'Input fields never shown to notification channels.',
    },
  },
};
