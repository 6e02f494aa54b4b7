import { readmeExamplesSuite, startSmtpServer } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';

// The example mails through SMTP_HOST:SMTP_PORT: here the test SMTP server.
readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  server: async () => {
    const smtp = await startSmtpServer();
    return {
      env: {
        SMTP_HOST: smtp.host,
        SMTP_PORT: String(smtp.port),
        SMTP_PASS: 'secret',
        LLMTEAM_LINK_SECRET: 'readme-link-secret-0123456789abcdef',
      },
      stop: () => smtp.close(),
    };
  },
  test,
  expect,
  describe,
});
