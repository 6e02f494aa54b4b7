import { defineErrors } from '@llmteam/core';

/** Every error code of `@llmteam/llm-openai`, with what it means. Documented in the README. */
export const OPENAI_ERROR_CODES = {
  LLMT_E_OPENAI_OPTIONS:
    'The plugin options are wrong or a call names no model; the message names the option.',
  LLMT_E_OPENAI_API_KEY: 'The secret named by `apiKeySecret` has no value for the tenant.',
} as const;

/** The error registry of `@llmteam/llm-openai` (see `defineErrors`). */
export const openAiErrors = defineErrors('@llmteam/llm-openai', OPENAI_ERROR_CODES);

/** A code of {@link OPENAI_ERROR_CODES}. */
export type OpenAiErrorCode = keyof typeof OPENAI_ERROR_CODES;

/** Makes an error of this package's registry. */
export const openAiError = openAiErrors.create;
