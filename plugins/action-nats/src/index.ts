import { definePlugin } from '@llmteam/core';
import { createNatsActionType, type NatsActionTypeOptions } from './nats-action-type.js';

export { createNatsActionType, type NatsActionTypeOptions } from './nats-action-type.js';

/** The plugin: registers the `message_queue` action type for `broker: "nats"`. */
export default definePlugin({
  name: '@llmteam/action-nats',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerActionType(createNatsActionType(api.options as NatsActionTypeOptions));
  },
});
