import { slackError } from './errors.js';

/** `action_id` of the Approve button. */
export const SLACK_APPROVE_ACTION_ID = 'llmteam_approve';
/** `action_id` of the Reject button. */
export const SLACK_REJECT_ACTION_ID = 'llmteam_reject';

/** The JSON kept in a button's `value`. */
export interface SlackButtonValue {
  tenantId: string;
  interactionId: string;
  action: 'approve' | 'reject';
}

/** A click on an llmteam Approve or Reject button, as {@link parseSlackInteraction} returns it. */
export interface SlackInteraction {
  interactionId: string;
  /** Tenant of the interaction, from the button value. */
  tenantId: string;
  action: 'approve' | 'reject';
  /** The Slack user who clicked; map it to an llmteam subject before answering. */
  user: { id: string; name: string };
  /** Slack team (workspace) id, when Slack sent it. */
  teamId?: string;
  /** Where to post a follow-up (e.g. replace the buttons with "Approved by ..."). */
  responseUrl?: string;
}

function bad(message: string, cause?: unknown) {
  return slackError('LLMT_E_SLACK_PAYLOAD', message, cause === undefined ? undefined : { cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses the body Slack POSTs to the app's Interactivity Request URL
 * (`application/x-www-form-urlencoded`, one `payload` field holding JSON) into the click on
 * an llmteam button. Verify the request with {@link verifySlackSignature} first. Throws
 * `LLMT_E_SLACK_PAYLOAD` for anything else: another payload type, another button, or a
 * button value that does not name an interaction and a matching action.
 */
export function parseSlackInteraction(rawBody: string | Uint8Array): SlackInteraction {
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  const encoded = new URLSearchParams(body).get('payload');
  if (!encoded)
    throw bad(
      'Slack interaction body has no `payload` field: expected the form-encoded interactive payload.',
    );
  let payload: unknown;
  try {
    payload = JSON.parse(encoded);
  } catch (error) {
    throw bad('Slack interaction `payload` is not JSON.', error);
  }
  if (!isRecord(payload) || payload.type !== 'block_actions') {
    throw bad(
      `Slack interaction type ${JSON.stringify(isRecord(payload) ? payload.type : payload)} is not "block_actions".`,
    );
  }
  const actions = Array.isArray(payload.actions) ? payload.actions.filter(isRecord) : [];
  const clicked = actions.find(
    (a) => a.action_id === SLACK_APPROVE_ACTION_ID || a.action_id === SLACK_REJECT_ACTION_ID,
  );
  if (!clicked) throw bad('Slack interaction holds no llmteam_approve or llmteam_reject action.');
  let value: unknown;
  try {
    value = JSON.parse(String(clicked.value));
  } catch (error) {
    throw bad('Slack button value is not the JSON an llmteam button carries.', error);
  }
  const expected = clicked.action_id === SLACK_APPROVE_ACTION_ID ? 'approve' : 'reject';
  if (
    !isRecord(value) ||
    typeof value.interactionId !== 'string' ||
    typeof value.tenantId !== 'string' ||
    value.action !== expected
  ) {
    throw bad(`Slack button value does not name an interaction and the action "${expected}".`);
  }
  const user = isRecord(payload.user) ? payload.user : {};
  if (typeof user.id !== 'string') throw bad('Slack interaction has no user id.');
  const name =
    typeof user.username === 'string' ? user.username : typeof user.name === 'string' ? user.name : user.id;
  const team = isRecord(payload.team) && typeof payload.team.id === 'string' ? payload.team.id : undefined;
  return {
    interactionId: value.interactionId,
    tenantId: value.tenantId,
    action: expected,
    user: { id: user.id, name },
    ...(team ? { teamId: team } : {}),
    ...(typeof payload.response_url === 'string' ? { responseUrl: payload.response_url } : {}),
  };
}
