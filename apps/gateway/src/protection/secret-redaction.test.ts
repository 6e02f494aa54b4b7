import { SecretRedactor } from '@llmteam/core';
import { describe, expect, it } from 'vitest';
import { composeFormatError } from './gateway-plugin.js';
import { useMaskedErrors } from './use-masked-errors.js';
import { useSecretRedaction } from './use-secret-redaction.js';

describe('secret redaction of GraphQL errors', () => {
  it('scrubs a resolved secret from the message and extensions of every error', () => {
    const redactor = new SecretRedactor();
    const canary = 'gql-canary-7f3a9c';
    redactor.add(canary);
    const format = composeFormatError([useMaskedErrors({ development: true }), useSecretRedaction(redactor)]);
    const out = format(
      {
        message: `upstream said: bad token ${canary}`,
        extensions: { code: 'LLMT_E_ACTION_FAILED', details: { header: `Bearer ${canary}` } },
      },
      new Error(canary),
    );
    expect(JSON.stringify(out)).not.toContain(canary);
    expect(out.message).toBe('upstream said: bad token [secret]');
  });
});
