import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES } from './errors.js';

describe('client README', () => {
  it('documents every client error code', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(CLIENT_ERROR_CODES)) expect(readme).toContain(`\`${code}\``);
  });
});
