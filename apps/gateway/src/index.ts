export { createGateway, SHUTDOWN_CLOSE_CODE, type Gateway, type GatewayOptions } from './create-gateway.js';
export { serve, type Served, type ServeOptions } from './serve.js';
export { loadConfig, CONFIG_FILE_NAMES, type LlmteamConfig, type LoadedConfig, type PluginEntry } from './config/load-config.js';
export { createRuntime, DEFAULT_STORE, type Runtime, type RuntimeOptions } from './config/create-runtime.js';
export {
  API_KEY_PREFIX,
  authenticate,
  createApiKey,
  ensureBootstrapKey,
  generateApiKeySecret,
  hashApiKey,
  parseBearer,
  type AuthInfo,
  type CreateApiKeyOptions,
} from './auth/api-keys.js';
export { ROLE_PERMISSIONS, can, type Permission } from './auth/permissions.js';
export { buildGatewaySchema } from './schema/build-gateway-schema.js';
export { useDepthLimit, operationDepth, DEFAULT_MAX_DEPTH, type DepthLimitOptions } from './protection/depth-limit.js';
export { useComplexityLimit, operationComplexity, DEFAULT_MAX_COMPLEXITY, type ComplexityLimitOptions } from './protection/complexity-limit.js';
export { createErrorFormatter, type MaskedErrorsOptions } from './protection/masked-errors.js';
export { useRequestLogging } from './protection/request-logging.js';
export { operationCheckPlugin, type GatewayPlugin, type OperationCheck } from './protection/gateway-plugin.js';
export { createLogger, type LoggerOptions } from './logger.js';
export { GATEWAY_ERROR_CODES, GatewayError, toGraphQLCode, type GatewayErrorCode, type GraphQLErrorCode } from './errors.js';
export { GATEWAY_VERSION } from './version.js';
