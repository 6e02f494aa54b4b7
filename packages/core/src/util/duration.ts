import { LlmteamError } from '../errors.js';

const ISO =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * The longest duration any config may give: 100 years (`P36500D`), in seconds. Longer
 * ones are refused at validation: a deadline past it could not be written as a date.
 */
export const MAX_DURATION_SECONDS = 36_500 * 86_400;

/** The bound of {@link MAX_DURATION_SECONDS} as it is shown in messages. */
const BOUND = `P36500D (100 years, ${MAX_DURATION_SECONDS} seconds)`;

/**
 * JSON Schema of a duration in configs: seconds, or an ISO 8601 duration string, at most
 * {@link MAX_DURATION_SECONDS}. The bound of a string is the `llmteamDuration` keyword, which
 * core's validators know; another validator ignores it and checks the form only.
 */
export const durationJsonSchema = {
  oneOf: [
    { type: 'number', minimum: 0 },
    {
      type: 'string',
      pattern:
        '^P(?!$)(\\d+(\\.\\d+)?W)?(\\d+(\\.\\d+)?D)?(T(?=\\d)(\\d+(\\.\\d+)?H)?(\\d+(\\.\\d+)?M)?(\\d+(\\.\\d+)?S)?)?$',
    },
  ],
  llmteamDuration: true,
};

/** The length of a duration in seconds (unbounded), or undefined when `value` is no duration. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  return typeof value === 'string' ? isoSeconds(value) : undefined;
}

function isoSeconds(value: string): number | undefined {
  const m = ISO.exec(value);
  if (!m || value === 'P' || value === 'PT') return undefined;
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return (((w * 7 + d) * 24 + h) * 60 + min) * 60 + s;
}

/** True when `value` is an ISO 8601 duration (`PT30M`, `P1DT2H`) or a number of seconds, within the bound. */
export function isDuration(value: unknown): boolean {
  return durationProblem(value) === undefined;
}

/**
 * What is wrong with `value` as a duration (not one, negative, or longer than
 * {@link MAX_DURATION_SECONDS}), as a sentence that names the bound and the fix; undefined
 * when it is a valid duration.
 */
export function durationProblem(value: unknown): string | undefined {
  const seconds = durationSeconds(value);
  if (seconds === undefined) {
    return `${JSON.stringify(value)} is not a duration; use an ISO 8601 duration such as "PT30M" or a number of seconds`;
  }
  if (seconds > MAX_DURATION_SECONDS) {
    return `${JSON.stringify(value)} is longer than the longest duration allowed, ${BOUND}; use a shorter duration`;
  }
  return undefined;
}

/**
 * Converts an ISO 8601 duration (`"PT30M"`) or a number of seconds to milliseconds.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming `field` when the value is neither,
 *   or longer than {@link MAX_DURATION_SECONDS}.
 */
export function parseDuration(value: unknown, field = 'duration'): number {
  const problem = durationProblem(value);
  if (problem) throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `${field}: ${problem}`);
  return durationSeconds(value)! * 1000;
}
