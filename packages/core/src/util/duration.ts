import { LlmteamError } from '../errors.js';

const ISO =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** JSON Schema of a duration in configs: seconds, or an ISO 8601 duration string. */
export const durationJsonSchema = {
  oneOf: [
    { type: 'number', minimum: 0 },
    {
      type: 'string',
      pattern:
        '^P(?!$)(\\d+(\\.\\d+)?W)?(\\d+(\\.\\d+)?D)?(T(?=\\d)(\\d+(\\.\\d+)?H)?(\\d+(\\.\\d+)?M)?(\\d+(\\.\\d+)?S)?)?$',
    },
  ],
};

/** True when `value` is an ISO 8601 duration (`PT30M`, `P1DT2H`) or a number of seconds. */
export function isDuration(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0;
  return typeof value === 'string' && value !== 'P' && value !== 'PT' && ISO.test(value);
}

/**
 * Converts an ISO 8601 duration (`"PT30M"`) or a number of seconds to milliseconds.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming `field` when the value is neither.
 */
export function parseDuration(value: unknown, field = 'duration'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  if (typeof value === 'string') {
    const m = ISO.exec(value);
    if (m && value !== 'P' && value !== 'PT') {
      const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
      return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
    }
  }
  throw new LlmteamError(
    'LLMT_E_INVALID_ARGUMENT',
    `${field}: ${JSON.stringify(value)} is not a duration; use an ISO 8601 duration such as "PT30M" or a number of seconds`,
  );
}
