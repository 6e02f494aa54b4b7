export {
  API_KEY_PREFIX,
  type AuthInfo,
  authenticate,
  type CreateApiKeyOptions,
  createApiKey,
  ensureBootstrapKey,
  generateApiKeySecret,
  hashApiKey,
  parseBearer,
} from './auth/api-keys.js';
export { can, type Permission, ROLE_PERMISSIONS } from './auth/permissions.js';
export { createRuntime, DEFAULT_STORE, type Runtime, type RuntimeOptions } from './config/create-runtime.js';
export {
  CONFIG_FILE_NAMES,
  type LlmteamConfig,
  type LoadedConfig,
  loadConfig,
  type PluginEntry,
} from './config/load-config.js';
export {
  createGateway,
  DEFAULT_GATEWAY_OPTIONS,
  type Gateway,
  type GatewayOptions,
  SHUTDOWN_CLOSE_CODE,
} from './create-gateway.js';
export {
  GATEWAY_ERROR_CODES,
  GatewayError,
  type GatewayErrorCode,
  type GraphQLErrorCode,
  toGraphQLCode,
} from './errors.js';
export { createLogger, type LoggerOptions } from './logger.js';
export {
  COMMIT_OBSERVERS,
  type CommitObserver,
  commitObservers,
  withCommitTiming,
} from './observability/commit-timing.js';
export { GatewayMetrics, type GatewayMetricsOptions } from './observability/gateway-metrics.js';
export {
  checkTelemetryConfig,
  createTracing,
  type TelemetryConfig,
  type Tracing,
  tracesUrl,
} from './observability/tracing.js';
export {
  type ComplexityLimitOptions,
  DEFAULT_MAX_COMPLEXITY,
  operationComplexity,
  useComplexityLimit,
} from './protection/complexity-limit.js';
export {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_INTROSPECTION_DEPTH,
  type DepthLimitOptions,
  operationDepth,
  operationDepths,
  useDepthLimit,
} from './protection/depth-limit.js';
export {
  type GatewayPlugin,
  type OperationCheck,
  operationCheckPlugin,
} from './protection/gateway-plugin.js';
export { createErrorFormatter, type MaskedErrorsOptions } from './protection/masked-errors.js';
export { useRequestLogging } from './protection/request-logging.js';
export { buildGatewaySchema } from './schema/build-gateway-schema.js';
export { type Served, type ServeOptions, serve } from './serve.js';
export { GATEWAY_VERSION } from './version.js';
