import { definePlugin } from '@llmteam/core';
import { type AmqpActionTypeOptions, createAmqpActionType } from './amqp-action-type.js';

export { type AmqpActionTypeOptions, createAmqpActionType } from './amqp-action-type.js';

/** The plugin: registers the `message_queue` action type for `broker: "amqp"`. */
export default definePlugin({
  name: '@llmteam/action-amqp',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerActionType(createAmqpActionType(api.options as AmqpActionTypeOptions));
  },
});
