import { sampleNotification } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';
import { parseSlackInteraction } from './slack-interaction.js';
import { slackMessage } from './slack-message.js';

function formBody(payload: unknown): string {
  // How Slack sends it: application/x-www-form-urlencoded with one `payload` field.
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function clickOn(buttonIndex: number) {
  const message = slackMessage(sampleNotification());
  const actions = message.blocks.find((b) => b.type === 'actions') as {
    elements: Array<Record<string, unknown>>;
  };
  const button = actions.elements[buttonIndex];
  return {
    type: 'block_actions',
    user: { id: 'U2CERLKJA', username: 'roadrunner', name: 'roadrunner', team_id: 'T1DC2JH3J' },
    team: { id: 'T1DC2JH3J', domain: 'acme' },
    response_url: 'https://hooks.slack.com/actions/T1DC2JH3J/123/abc',
    actions: [
      { action_id: button.action_id, block_id: 'b1', value: button.value, type: 'button', action_ts: '1' },
    ],
  };
}

describe('parseSlackInteraction', () => {
  test('reads an Approve click from the form-encoded body of the button it sent', () => {
    expect(parseSlackInteraction(formBody(clickOn(0)))).toEqual({
      interactionId: 'int_conformance_1',
      tenantId: 'tenant-conformance',
      action: 'approve',
      user: { id: 'U2CERLKJA', name: 'roadrunner' },
      teamId: 'T1DC2JH3J',
      responseUrl: 'https://hooks.slack.com/actions/T1DC2JH3J/123/abc',
    });
  });

  test('reads a Reject click from raw bytes', () => {
    expect(parseSlackInteraction(Buffer.from(formBody(clickOn(1))))).toMatchObject({ action: 'reject' });
  });

  test('refuses a button value whose action does not match the button', () => {
    const click = clickOn(0);
    click.actions[0].value = JSON.stringify({ tenantId: 't', interactionId: 'i', action: 'reject' });
    expect(() => parseSlackInteraction(formBody(click))).toThrow(
      expect.objectContaining({ code: 'LLMT_E_SLACK_PAYLOAD' }),
    );
  });

  test.each([
    ['no payload field', 'foo=bar'],
    ['a payload that is not JSON', 'payload=%7Bnope'],
    ['another payload type', formBody({ type: 'view_submission' })],
    ['another button', formBody({ ...clickOn(0), actions: [{ action_id: 'something_else', value: '{}' }] })],
    ['the Open button', formBody(clickOn(2))],
    [
      'a value that is not JSON',
      formBody({ ...clickOn(0), actions: [{ action_id: 'llmteam_approve', value: 'x' }] }),
    ],
    ['no user', formBody({ ...clickOn(0), user: undefined })],
  ])('refuses %s with LLMT_E_SLACK_PAYLOAD', (_, body) => {
    expect(() => parseSlackInteraction(body)).toThrow(
      expect.objectContaining({ code: 'LLMT_E_SLACK_PAYLOAD' }),
    );
  });
});
