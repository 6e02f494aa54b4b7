import type { Notification } from '@llmteam/core';

/** Approve / Reject links for one recipient. */
export interface TeamsRecipientLinks {
  recipient: string;
  approve: string;
  reject: string;
}

/** An Adaptive Card (schema 1.4), as a plain object. */
export type AdaptiveCard = Record<string, unknown> & {
  type: 'AdaptiveCard';
  version: '1.4';
  body: unknown[];
};

/** The envelope a Teams incoming webhook expects. */
export interface TeamsMessage {
  type: 'message';
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: AdaptiveCard;
  }>;
}

const REASONS: Record<Notification['reason'], string> = {
  requested: 'New request',
  escalated: 'Escalated',
  sla_warning: 'SLA warning: the deadline is near',
  sla_breached: 'SLA breached',
  reminder: 'Reminder',
};

const PRIORITY_COLORS: Record<string, string> = {
  low: 'Default',
  normal: 'Accent',
  high: 'Warning',
  critical: 'Attention',
};

// RichTextBlock/TextRun take text literally, where TextBlock would interpret markdown: a
// request title cannot smuggle a link or formatting into the card.
function literal(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text, ...extra }] };
}

/**
 * Builds the Adaptive Card (version 1.4) for a notification: why, the title and
 * description, facts for priority, assignees and deadline, and for approvals and reviews
 * one pair of `Action.OpenUrl` Approve / Reject buttons per recipient, each opening that
 * recipient's signed one-time link. An Open action links to the gateway's view.
 */
export function teamsCard(notification: Notification, links: TeamsRecipientLinks[]): AdaptiveCard {
  const i = notification.interaction;
  const assignees =
    [...i.assignees.users, ...i.assignees.groups.map((g) => `group ${g}`)].join(', ') || 'any approver';
  const body: unknown[] = [
    literal(`${REASONS[notification.reason]} · ${i.type}`, { isSubtle: true, size: 'Small' }),
    literal(i.title, { weight: 'Bolder', size: 'Large', color: PRIORITY_COLORS[i.priority] ?? 'Default' }),
  ];
  if (i.description) body.push(literal(i.description));
  body.push({
    type: 'FactSet',
    facts: [
      { title: 'Priority', value: i.priority },
      { title: 'Assignees', value: assignees },
      { title: 'Deadline', value: i.deadline ?? 'none' },
    ],
  });
  if (i.type === 'approval' || i.type === 'review') {
    for (const link of links) {
      const suffix = links.length > 1 ? ` as ${link.recipient}` : '';
      body.push({
        type: 'ActionSet',
        actions: [
          { type: 'Action.OpenUrl', title: `Approve${suffix}`, url: link.approve, style: 'positive' },
          { type: 'Action.OpenUrl', title: `Reject${suffix}`, url: link.reject, style: 'destructive' },
        ],
      });
    }
  }
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
  };
  if (notification.links.viewUrl)
    card.actions = [{ type: 'Action.OpenUrl', title: 'Open', url: notification.links.viewUrl }];
  return card;
}

/** Wraps a card in the `{ type: 'message', attachments }` envelope of Teams incoming webhooks. */
export function teamsMessage(card: AdaptiveCard): TeamsMessage {
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
    ],
  };
}
