import { defineErrors } from '@llmteam/core';

/** Every error code of `@llmteam/notify-webhook`, with what it means. Documented in the README. */
export const WEBHOOK_ERROR_CODES = {
  LLMT_E_WEBHOOK_OPTIONS:
    'The channel options are missing or wrong (no `url`, no `secret`, a bad number); the message names the option.',
  LLMT_E_WEBHOOK_SIGNATURE:
    'A received webhook failed verification: missing headers, a timestamp outside the tolerance, or no matching `v1` signature.',
} as const;

/** The error registry of `@llmteam/notify-webhook` (see `defineErrors`). */
export const webhookErrors = defineErrors('@llmteam/notify-webhook', WEBHOOK_ERROR_CODES);

/** A code of {@link WEBHOOK_ERROR_CODES}. */
export type WebhookErrorCode = keyof typeof WEBHOOK_ERROR_CODES;

/** Makes an error of this package's registry. */
export const webhookError = webhookErrors.create;
