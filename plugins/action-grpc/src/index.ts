import { definePlugin } from '@llmteam/core';
import { createGrpcActionType, type GrpcActionTypeOptions } from './grpc-action-type.js';

export { createGrpcActionType, type GrpcActionTypeOptions } from './grpc-action-type.js';

/** The plugin: registers the `grpc` action type. */
export default definePlugin({
  name: '@llmteam/action-grpc',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerActionType(createGrpcActionType(api.options as GrpcActionTypeOptions));
  },
});
