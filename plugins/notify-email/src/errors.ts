import { defineErrors } from '@llmteam/core';

/** Every error code of `@llmteam/notify-email`, with what it means. Documented in the README. */
export const EMAIL_ERROR_CODES = {
  LLMT_E_EMAIL_OPTIONS:
    'The channel options are wrong: no `transport` or `from`, a `groupAddresses` entry that is not a list of addresses, a bad `linkTtlSeconds` or `priorities`; the message names the option.',
} as const;

/** The error registry of `@llmteam/notify-email` (see `defineErrors`). */
export const emailErrors = defineErrors('@llmteam/notify-email', EMAIL_ERROR_CODES);

/** A code of {@link EMAIL_ERROR_CODES}. */
export type EmailErrorCode = keyof typeof EMAIL_ERROR_CODES;

/** Makes an error of this package's registry. */
export const emailError = emailErrors.create;
