import type { Notification } from '@llmteam/core';
import {
  SLACK_APPROVE_ACTION_ID,
  SLACK_REJECT_ACTION_ID,
  type SlackButtonValue,
} from './slack-interaction.js';

/** A Slack message: fallback `text` (notifications, screen readers) and Block Kit `blocks`. */
export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

const REASONS: Record<Notification['reason'], string> = {
  requested: 'New request',
  escalated: 'Escalated to you',
  sla_warning: 'SLA warning: the deadline is near',
  sla_breached: 'SLA breached',
  reminder: 'Reminder',
};

const PRIORITY_ICONS: Record<string, string> = {
  low: ':white_circle:',
  normal: ':large_blue_circle:',
  high: ':large_orange_circle:',
  critical: ':red_circle:',
};

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function deadline(iso: string | undefined): string {
  if (!iso) return 'none';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  // Slack renders the date in each reader's own time zone; the text after | is the fallback.
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${escapeMrkdwn(iso)}>`;
}

/**
 * Builds the Block Kit message for a notification: a header with the title, fields for
 * priority, assignees and deadline, the description, and for approvals and reviews an
 * actions block with Approve / Reject buttons (`action_id` `llmteam_approve` /
 * `llmteam_reject`, `value` a JSON {@link SlackButtonValue}), plus an Open button when
 * the gateway has a view URL. Text limits of Block Kit are respected.
 */
export function slackMessage(notification: Notification): SlackMessage {
  const i = notification.interaction;
  const assignees = [...i.assignees.users, ...i.assignees.groups.map((g) => `@${g}`)];
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: truncate(i.title, 150), emoji: true } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${REASONS[notification.reason]} · ${escapeMrkdwn(i.type)} · run \`${escapeMrkdwn(i.runId)}\``,
        },
      ],
    },
    {
      type: 'section',
      fields: [
        {
          type: 'mrkdwn',
          text: `*Priority*\n${PRIORITY_ICONS[i.priority] ?? ''} ${escapeMrkdwn(i.priority)}`,
        },
        {
          type: 'mrkdwn',
          text: `*Assignees*\n${truncate(escapeMrkdwn(assignees.join(', ') || 'any approver'), 1900)}`,
        },
        { type: 'mrkdwn', text: `*Deadline*\n${deadline(i.deadline)}` },
      ],
    },
  ];
  if (i.description) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(i.description), 3000) },
    });
  }
  const elements: Array<Record<string, unknown>> = [];
  if (i.type === 'approval' || i.type === 'review') {
    const value = (action: 'approve' | 'reject'): string =>
      JSON.stringify({
        tenantId: notification.tenantId,
        interactionId: i.interactionId,
        action,
      } satisfies SlackButtonValue);
    elements.push(
      {
        type: 'button',
        action_id: SLACK_APPROVE_ACTION_ID,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value: value('approve'),
      },
      {
        type: 'button',
        action_id: SLACK_REJECT_ACTION_ID,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
        value: value('reject'),
        confirm: {
          title: { type: 'plain_text', text: 'Reject this request?' },
          text: { type: 'plain_text', text: truncate(i.title, 300) },
          confirm: { type: 'plain_text', text: 'Reject' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    );
  }
  if (notification.links.viewUrl) {
    elements.push({
      type: 'button',
      action_id: 'llmteam_open',
      text: { type: 'plain_text', text: 'Open' },
      url: notification.links.viewUrl,
    });
  }
  if (elements.length > 0)
    blocks.push({ type: 'actions', block_id: `llmteam_${i.interactionId}`.slice(0, 255), elements });
  return { text: `[${i.priority}] ${escapeMrkdwn(i.title)}`, blocks };
}
