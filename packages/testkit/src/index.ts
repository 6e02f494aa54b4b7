export * from './channel-suite.js';
export * from './servers/silent-server.js';
export * from './servers/smtp-server.js';
export * from './servers/tcp-proxy.js';
export * from './servers/webhook-receiver.js';
export * from './store-crash.js';
export * from './store-fixtures.js';
export * from './store-suite.js';
