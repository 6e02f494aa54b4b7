import { defineErrors } from '@llmteam/core';

/** Every error code of `@llmteam/notify-slack`, with what it means. Documented in the README. */
export const SLACK_ERROR_CODES = {
  LLMT_E_SLACK_OPTIONS:
    'The channel options are wrong: neither `webhookUrl` nor `botToken` + `channel`, a bad URL or bad `priorities`; the message names the option.',
  LLMT_E_SLACK_SIGNATURE:
    'A request failed Slack signature verification: missing headers, a timestamp outside the 5-minute window, or a `v0=` signature that does not match.',
  LLMT_E_SLACK_PAYLOAD:
    'A Slack interactive payload is not an llmteam Approve/Reject button click (not form-encoded, not JSON, another action, or a malformed button value).',
} as const;

/** The error registry of `@llmteam/notify-slack` (see `defineErrors`). */
export const slackErrors = defineErrors('@llmteam/notify-slack', SLACK_ERROR_CODES);

/** A code of {@link SLACK_ERROR_CODES}. */
export type SlackErrorCode = keyof typeof SLACK_ERROR_CODES;

/** Makes an error of this package's registry. */
export const slackError = slackErrors.create;
