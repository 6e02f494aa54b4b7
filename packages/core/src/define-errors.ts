import { isLlmteamError, LlmteamError, type LlmteamErrorOptions } from './errors.js';

/** The shape every code of a registry follows: `LLMT_E_` and upper-case words. */
const CODE_PATTERN = /^LLMT_E_[A-Z0-9]+(?:_[A-Z0-9]+)*$/;

/** An error made by an {@link ErrorRegistry}: an {@link LlmteamError} whose `code` is one of the registry's. */
export type RegistryError<C extends string> = LlmteamError & { readonly code: C };

/** The class an {@link ErrorRegistry} makes its errors with; extend it to keep a named class. */
export type RegistryErrorClass<C extends string> = new (
  code: C,
  message: string,
  options?: LlmteamErrorOptions,
) => RegistryError<C>;

/** What {@link defineErrors} returns: one package's codes, their error class and helpers. */
export interface ErrorRegistry<C extends string> {
  /** The package the codes belong to (`@llmteam/store-sql`), as messages name it. */
  readonly package: string;
  /** Every code with what it means (the object given to {@link defineErrors}). */
  readonly codes: Readonly<Record<C, string>>;
  /**
   * The registry's error class (named by `className`), branded like every llmteam error
   * (`Symbol.for('llmteam.error')`), with `code`, `retryable`, `details` and `cause`.
   * `class SqlStoreError extends registry.Error {}` keeps a named class of one's own.
   */
  readonly Error: RegistryErrorClass<C>;
  /** Makes an error of this registry: `errors.create('LLMT_E_X_OPTIONS', 'option "url" ...; pass ...')`. */
  create(code: C, message: string, options?: LlmteamErrorOptions): RegistryError<C>;
  /**
   * True when `value` is an llmteam error (from any copy of core) with one of this
   * registry's codes, or with `code` when given.
   */
  is(value: unknown, code?: C): value is RegistryError<C>;
  /**
   * The codes `docs` (a README's text) does not mention as `` `CODE` ``; empty when every
   * code is documented. A package's test asserts it is empty.
   */
  undocumented(docs: string): C[];
}

/** Options of {@link defineErrors}. */
export interface DefineErrorsOptions {
  /**
   * `name` of the errors the registry makes (what stack traces and logs show).
   * @default "LlmteamError"
   */
  className?: string;
}

/**
 * Defines a package's error registry: stable codes (`LLMT_E_*`, never reused) with their
 * meaning, an error class, a factory, a branded check and a documentation check. Each
 * package has exactly one; its README documents every code.
 *
 * @example
 * export const WEBHOOK_ERROR_CODES = {
 *   LLMT_E_WEBHOOK_OPTIONS: 'The channel options are wrong; the message names the option.',
 * } as const;
 * export const webhookErrors = defineErrors('@llmteam/notify-webhook', WEBHOOK_ERROR_CODES);
 * throw webhookErrors.create('LLMT_E_WEBHOOK_OPTIONS', 'option "url" is missing; pass the receiver URL');
 *
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` when a code does not look like `LLMT_E_*`
 *   or has no meaning.
 */
export function defineErrors<const T extends Record<string, string>>(
  pkg: string,
  codes: T,
  options: DefineErrorsOptions = {},
): ErrorRegistry<keyof T & string> {
  type C = keyof T & string;
  for (const [code, meaning] of Object.entries(codes)) {
    if (!CODE_PATTERN.test(code))
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `${pkg}: error code "${code}" does not follow LLMT_E_<WORDS> (upper case, underscores); rename it`,
      );
    if (typeof meaning !== 'string' || !meaning.trim())
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `${pkg}: error code "${code}" has no meaning; say what went wrong and how to fix it`,
      );
  }
  const name = options.className ?? 'LlmteamError';
  const ErrorClass = class extends LlmteamError {
    declare readonly code: C;
    constructor(code: C, message: string, errorOptions?: LlmteamErrorOptions) {
      super(code, message, errorOptions);
      this.name = name;
    }
  };
  Object.defineProperty(ErrorClass, 'name', { value: name });
  const known = new Set<string>(Object.keys(codes));
  return {
    package: pkg,
    codes,
    Error: ErrorClass as RegistryErrorClass<C>,
    create: (code, message, errorOptions) => new ErrorClass(code, message, errorOptions),
    is(value: unknown, code?: C): value is RegistryError<C> {
      if (!isLlmteamError(value)) return false;
      return code === undefined ? known.has(value.code) : value.code === code;
    },
    undocumented: (docs) => (Object.keys(codes) as C[]).filter((code) => !docs.includes(`\`${code}\``)),
  };
}
