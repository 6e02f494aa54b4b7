import { readFileSync } from 'node:fs';
import { isPlugin, type NotificationChannel, type PluginApi, silentLogger } from '@llmteam/core';
import { expect, test } from 'vitest';
import { TEAMS_ERROR_CODES, teamsErrors } from './errors.js';
import plugin from './index.js';

test('the default export is a plugin that registers the configured channel', async () => {
  expect(isPlugin(plugin)).toBe(true);
  expect(plugin.name).toBe('@llmteam/notify-teams');
  expect(plugin.version).toBe(
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
  );
  const channels: NotificationChannel[] = [];
  const api = {
    options: {
      webhookUrl: 'https://example.webhook.office.com/x',
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
  for (const code of Object.keys(TEAMS_ERROR_CODES)) expect(readme).toContain(code);
  expect(teamsErrors.undocumented(readme)).toEqual([]);
});
