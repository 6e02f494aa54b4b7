export { createLlmteamClient, type LlmteamClient, type LlmteamClientOptions } from './client.js';
export {
  CLIENT_ERROR_CODES,
  type GraphQLErrorPayload,
  isLlmteamClientError,
  LlmteamClientError,
  type SegmentProblem,
} from './errors.js';
export { isWorktrailEventOf } from './is-worktrail-event-of.js';
export * from './types.js';
export type { WatchInteractionsOptions } from './watch-interactions.js';
export { TERMINAL_EVENT_TYPES, type WatchRunOptions } from './watch-run.js';
