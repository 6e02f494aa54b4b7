export { createLlmteamClient, type LlmteamClient, type LlmteamClientOptions } from './client.js';
export { CLIENT_ERROR_CODES, LlmteamClientError, isLlmteamClientError, type GraphQLErrorPayload, type SegmentProblem } from './errors.js';
export { TERMINAL_EVENT_TYPES, type WatchRunOptions } from './watch-run.js';
export * from './types.js';
