import { LlmteamError } from '@llmteam/core';

/**
 * A position in the runs list: the store's page cursor plus how many runs of that page to
 * skip. Store cursors only mark page ends; this gives every edge a cursor of its own.
 */
export interface RunCursor {
  storeCursor?: string;
  skip: number;
}

export function encodeRunCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.storeCursor ?? null, cursor.skip])).toString('base64url');
}

/** The most a cursor may skip within a store page (the largest `first`). */
const MAX_CURSOR_SKIP = 100;

export function decodeRunCursor(value: string): RunCursor {
  try {
    const [storeCursor, skip] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    if (
      (storeCursor === null || typeof storeCursor === 'string') &&
      Number.isInteger(skip) &&
      (skip as number) >= 0 &&
      // A real cursor never skips more than one page: a forged one cannot make a page huge.
      (skip as number) <= MAX_CURSOR_SKIP
    ) {
      return { storeCursor: storeCursor ?? undefined, skip: skip as number };
    }
  } catch {
    // fall through to the error below
  }
  throw new LlmteamError(
    'LLMT_E_INVALID_ARGUMENT',
    'after is not a cursor returned by runs(); pass pageInfo.endCursor or an edge cursor',
  );
}
