import { readFileSync } from 'node:fs';
import {
  type HttpRoute,
  isPlugin,
  type NotificationChannel,
  type PluginApi,
  silentLogger,
} from '@llmteam/core';
import { expect, test } from 'vitest';
import { SLACK_ERROR_CODES, slackErrors } from './errors.js';
import plugin from './index.js';

test('the default export is a plugin that registers the configured channel', async () => {
  expect(isPlugin(plugin)).toBe(true);
  expect(plugin.name).toBe('@llmteam/notify-slack');
  expect(plugin.version).toBe(
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
  );
  const channels: NotificationChannel[] = [];
  const api = {
    options: {
      webhookUrl: 'https://hooks.slack.com/services/T/B/x',
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
  for (const code of Object.keys(SLACK_ERROR_CODES)) expect(readme).toContain(code);
  expect(slackErrors.undocumented(readme)).toEqual([]);
});

test('with a signingSecret the plugin registers the interactivity route, and only it without a channel', async () => {
  const routes: HttpRoute[] = [];
  const channels: NotificationChannel[] = [];
  await plugin.setup({
    options: { signingSecret: 'secret' },
    logger: silentLogger,
    registerChannel: (channel: NotificationChannel) => channels.push(channel),
    registerRoute: (route: HttpRoute) => routes.push(route),
  } as unknown as PluginApi);
  expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /slack/interactions']);
  expect(channels).toEqual([]);
});
