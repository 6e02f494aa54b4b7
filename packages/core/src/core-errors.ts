import { defineErrors } from './define-errors.js';
import { ERROR_CODES } from './errors.js';

/**
 * The error registry of `@llmteam/core` (see {@link defineErrors}): {@link ERROR_CODES}
 * with the registry helpers. Core's own errors are {@link LlmteamError}s.
 */
export const coreErrors = defineErrors('@llmteam/core', ERROR_CODES);
