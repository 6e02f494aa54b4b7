import { defineErrors } from '@llmteam/core';

/** Every error code of `@llmteam/notify-teams`, with what it means. Documented in the README. */
export const TEAMS_ERROR_CODES = {
  LLMT_E_TEAMS_OPTIONS:
    'The channel options are wrong: no http(s) `webhookUrl`, a bad `linkTtlSeconds` or bad `priorities`; the message names the option.',
} as const;

/** The error registry of `@llmteam/notify-teams` (see `defineErrors`). */
export const teamsErrors = defineErrors('@llmteam/notify-teams', TEAMS_ERROR_CODES);

/** A code of {@link TEAMS_ERROR_CODES}. */
export type TeamsErrorCode = keyof typeof TEAMS_ERROR_CODES;

/** Makes an error of this package's registry. */
export const teamsError = teamsErrors.create;
