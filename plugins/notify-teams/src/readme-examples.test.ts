import { readmeExamplesSuite, startWebhookReceiver } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';

// The example posts to TEAMS_WEBHOOK_URL: here a local receiver standing in for Teams.
readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  server: async () => {
    const teams = await startWebhookReceiver();
    return {
      env: {
        TEAMS_WEBHOOK_URL: `${teams.url}/webhook`,
        LLMTEAM_LINK_SECRET: 'readme-link-secret-0123456789abcdef',
      },
      stop: () => teams.close(),
    };
  },
  test,
  expect,
  describe,
});
