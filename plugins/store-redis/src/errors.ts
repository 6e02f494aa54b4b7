import { defineErrors } from '@llmteam/core';

/** Every error code of `@llmteam/store-redis`. Documented in the README. */
export const REDIS_STORE_ERROR_CODES = {
  LLMT_E_REDIS_UNREACHABLE:
    'Redis could not be reached at `init()`; the message names host and port (never the password) and the fix.',
  LLMT_E_REDIS_INVALID_OPTION: 'A Redis store option has the wrong shape; the message names it and the fix.',
} as const;

/** A code of {@link REDIS_STORE_ERROR_CODES}. */
export type RedisStoreErrorCode = keyof typeof REDIS_STORE_ERROR_CODES;

/** The error registry of `@llmteam/store-redis` (see `defineErrors`). */
export const redisStoreErrors = defineErrors('@llmteam/store-redis', REDIS_STORE_ERROR_CODES, {
  className: 'RedisStoreError',
});

/** An error of the Redis store. */
export class RedisStoreError extends redisStoreErrors.Error {}
