import type { Notification } from '@llmteam/core';

/** One rendered mail. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

/** Links put in one recipient's mail. */
export interface EmailLinks {
  approve?: string;
  reject?: string;
  view?: string;
}

const REASONS: Record<Notification['reason'], string> = {
  requested: 'A request is waiting for you',
  escalated: 'A request was escalated to you',
  sla_warning: 'A request is close to its deadline',
  sla_breached: 'A request missed its deadline',
  reminder: 'Reminder: a request is waiting for you',
};

const SUBJECT_PREFIX: Partial<Record<Notification['reason'], string>> = {
  escalated: 'Escalated: ',
  sla_warning: 'Due soon: ',
  sla_breached: 'Overdue: ',
  reminder: 'Reminder: ',
};

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function button(href: string, label: string, color: string): string {
  return `<a href="${escapeHtml(href)}" style="display:inline-block;padding:10px 18px;margin-right:8px;border-radius:4px;background:${color};color:#ffffff;text-decoration:none;font-weight:bold">${escapeHtml(label)}</a>`;
}

/**
 * Renders the mail for one recipient: a subject with priority and title, and matching text
 * and HTML bodies with the request's fields and the recipient's own Approve / Reject links.
 * Everything taken from the request is HTML-escaped; header values have line breaks
 * removed so a title cannot inject headers.
 */
export function emailMessage(
  notification: Notification,
  links: EmailLinks,
  subjectPrefix = '[llmteam]',
): EmailMessage {
  const i = notification.interaction;
  const title = i.title.replace(/[\r\n]+/g, ' ');
  const assignees =
    [...i.assignees.users, ...i.assignees.groups.map((g) => `group ${g}`)].join(', ') || 'any approver';
  const fields: Array<[string, string]> = [
    ['Priority', i.priority],
    ['Assignees', assignees],
    ['Deadline', i.deadline ?? 'none'],
    ['Type', i.type],
    ['Run', i.runId],
  ];
  const subject = `${subjectPrefix ? `${subjectPrefix} ` : ''}${SUBJECT_PREFIX[notification.reason] ?? ''}[${i.priority}] ${title}`;

  const text = [
    REASONS[notification.reason],
    '',
    title,
    ...(i.description ? ['', i.description] : []),
    '',
    ...fields.map(([k, v]) => `${k}: ${v}`),
    '',
    ...(links.approve ? [`Approve: ${links.approve}`] : []),
    ...(links.reject ? [`Reject: ${links.reject}`] : []),
    ...(links.view ? [`Open: ${links.view}`] : []),
    ...(links.approve || links.reject
      ? ['', 'Each link works once, for you only, and expires. Do not forward this mail.']
      : []),
  ].join('\n');

  const rows = fields
    .map(
      ([k, v]) =>
        `<tr><td style="padding:2px 12px 2px 0;color:#555">${escapeHtml(k)}</td><td style="padding:2px 0">${escapeHtml(v)}</td></tr>`,
    )
    .join('');
  const buttons = [
    links.approve ? button(links.approve, 'Approve', '#1a7f37') : '',
    links.reject ? button(links.reject, 'Reject', '#cf222e') : '',
    links.view ? button(links.view, 'Open', '#57606a') : '',
  ].join('');
  const html = `<!doctype html>
<html><body style="font-family:Arial,Helvetica,sans-serif;color:#24292f">
<p style="color:#555">${escapeHtml(REASONS[notification.reason])}</p>
<h2 style="margin:0 0 12px">${escapeHtml(title)}</h2>
${i.description ? `<p style="white-space:pre-wrap">${escapeHtml(i.description)}</p>` : ''}
<table style="border-collapse:collapse;margin:12px 0">${rows}</table>
${buttons ? `<p style="margin:20px 0">${buttons}</p>` : ''}
${links.approve || links.reject ? '<p style="color:#777;font-size:12px">Each link works once, for you only, and expires. Do not forward this mail.</p>' : ''}
</body></html>`;
  return { subject, text, html };
}
