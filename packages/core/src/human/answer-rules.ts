import type { Actor, RespondOptions } from '../engine/types.js';
import { LlmteamError } from '../errors.js';
import type { InteractionRecord, InteractionResponse, InteractionType } from '../store/types.js';
import type { ValidateFunction } from '../util/ajv.js';
import { parseAssignees } from './assignees.js';

type Quorum = string[] | { group?: string; count: number };

/** The answers each interaction type takes. */
const ALLOWED: Record<InteractionType, string[]> = {
  approval: ['approve', 'reject'],
  review: ['approve', 'reject', 'request_changes'],
  choice: ['respond', 'reject'],
  input: ['respond', 'reject'],
  task: ['respond', 'approve', 'reject'],
  chat: ['message', 'close', 'reject'],
};

/**
 * Refuses an answer that does not fit the request: wrong action for its type, changes
 * asked beyond `max_revisions`, a choice outside the options, input failing its schema.
 */
export function checkAnswer(
  i: InteractionRecord,
  o: RespondOptions,
  validatorFor: (schema: object) => ValidateFunction,
): void {
  const invalid = (message: string, details?: Record<string, unknown>) =>
    new LlmteamError('LLMT_E_RESPONSE_INVALID', message, { details });
  if (!ALLOWED[i.type].includes(o.action)) {
    const article = /^[aeiou]/.test(i.type) ? 'an' : 'a';
    throw invalid(`${article} ${i.type} request takes ${ALLOWED[i.type].join(', ')}, not "${o.action}"`);
  }
  if (o.action === 'request_changes') {
    const max = (i.settings.maxRevisions as number | undefined) ?? 3;
    if (i.revision >= max) {
      throw new LlmteamError(
        'LLMT_E_MAX_REVISIONS',
        `interaction "${i.interactionId}" is revision ${i.revision} of at most ${max}; approve or reject it`,
      );
    }
    if (!o.comment && (o.value === undefined || o.value === null || o.value === ''))
      throw invalid('request_changes needs feedback: say what should change');
  }
  if (i.type === 'choice' && o.action === 'respond') {
    const values = (i.options ?? []).map((opt) =>
      typeof opt === 'object' && opt !== null && 'value' in opt ? (opt as { value: unknown }).value : opt,
    );
    if (!values.some((v) => JSON.stringify(v) === JSON.stringify(o.value))) {
      throw invalid(`${JSON.stringify(o.value)} is not one of the options ${JSON.stringify(values)}`, {
        options: values,
      });
    }
  }
  // A review approved with a value approves an edited version (e.g. a tool call's arguments):
  // with an input schema, the edit must fit it.
  if (
    i.type === 'review' &&
    o.action === 'approve' &&
    o.value !== undefined &&
    o.value !== null &&
    i.inputSchema
  ) {
    const validate = validatorFor(i.inputSchema as object);
    if (!validate(o.value)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(value)'} ${e.message}`);
      throw invalid(`the edited value does not match the request's input schema: ${errors.join('; ')}`, {
        errors,
      });
    }
  }
  if (i.type === 'input' && o.action === 'respond' && i.inputSchema) {
    const validate = validatorFor(i.inputSchema as object);
    if (!validate(o.value)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(answer)'} ${e.message}`);
      throw invalid(`the answer does not match the input schema: ${errors.join('; ')}`, { errors });
    }
  }
  if (
    i.type === 'chat' &&
    o.action === 'message' &&
    typeof o.value !== 'string' &&
    typeof o.comment !== 'string'
  ) {
    throw invalid('a chat message needs text in `value` or `comment`');
  }
}

/** The closing answer, or undefined while more answers are needed (quorum, chat). */
export function decideAnswer(
  i: InteractionRecord,
  response: InteractionResponse,
  actor: Actor,
): InteractionResponse | undefined {
  if (response.action === 'message') return undefined;
  const quorum = i.settings.requiredApprovers as Quorum | undefined;
  if (!quorum || response.action !== 'approve') return response;
  if (i.responses.some((r) => r.action === 'approve' && r.subject === actor.subject)) {
    throw new LlmteamError(
      'LLMT_E_RESPONSE_INVALID',
      `${actor.subject} already approved "${i.interactionId}"; another approver is needed`,
    );
  }
  const approvers = new Set([
    ...i.responses.filter((r) => r.action === 'approve').map((r) => r.subject),
    actor.subject,
  ]);
  if (Array.isArray(quorum)) {
    // `alice` and `user:alice` name the same approver.
    const required = parseAssignees(quorum).users;
    if (!required.includes(actor.subject) && !actor.roles?.includes('admin')) {
      throw new LlmteamError(
        'LLMT_E_NOT_ASSIGNEE',
        `${actor.subject} is not one of the required approvers ${required.join(', ')}`,
      );
    }
    return required.every((u) => approvers.has(u)) ? response : undefined;
  }
  if (quorum.group && !actor.groups?.includes(quorum.group) && !actor.roles?.includes('admin')) {
    throw new LlmteamError(
      'LLMT_E_NOT_ASSIGNEE',
      `${actor.subject} is not in group "${quorum.group}", whose approvals count towards the quorum`,
    );
  }
  return approvers.size >= quorum.count ? response : undefined;
}
