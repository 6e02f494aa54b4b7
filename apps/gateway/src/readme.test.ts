import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_ERROR_CODES, gatewayErrors } from './errors.js';

describe('gateway README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it('documents every error code of the gateway registry', () => {
    for (const code of Object.keys(GATEWAY_ERROR_CODES)) expect(readme).toContain(`\`${code}\``);
    expect(gatewayErrors.undocumented(readme)).toEqual([]);
  });
  it('documents every GraphQL error code the gateway maps to', () => {
    for (const code of [
      'BAD_USER_INPUT',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
      'QUERY_TOO_DEEP',
      'QUERY_TOO_COMPLEX',
      'PAYLOAD_TOO_LARGE',
    ]) {
      expect(readme).toContain(`\`${code}\``);
    }
  });
});
