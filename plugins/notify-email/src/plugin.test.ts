import { readFileSync } from 'node:fs';
import { isPlugin, type NotificationChannel, type PluginApi, silentLogger } from '@llmteam/core';
import { expect, test } from 'vitest';
import { EMAIL_ERROR_CODES, emailErrors } from './errors.js';
import plugin from './index.js';

test('the default export is a plugin that registers the configured channel', async () => {
  expect(isPlugin(plugin)).toBe(true);
  expect(plugin.name).toBe('@llmteam/notify-email');
  expect(plugin.version).toBe(
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
  );
  const channels: NotificationChannel[] = [];
  const api = {
    options: {
      transport: { host: '127.0.0.1', port: 25 },
      from: 'a@example.com',
      name: 'ops-hook',
      priorities: ['critical'],
    },
    logger: silentLogger,
    registerChannel: (channel: NotificationChannel) => channels.push(channel),
  } as unknown as PluginApi;
  await plugin.setup(api);
  expect(channels.map((c) => [c.name, c.priorities])).toEqual([['ops-hook', ['critical']]]);
});

test('the README documents every error code', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const code of Object.keys(EMAIL_ERROR_CODES)) expect(readme).toContain(code);
  expect(emailErrors.undocumented(readme)).toEqual([]);
});
