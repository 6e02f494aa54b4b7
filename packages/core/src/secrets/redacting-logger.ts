import type { Logger } from '../catalog/types.js';
import type { SecretRedactor } from './secret-redactor.js';

/** Errors as plain `{ name, message, stack }`, so loggers that serialise them still get scrubbed text. */
function plain(obj: unknown): unknown {
  if (obj instanceof Error) return { err: { type: obj.name, message: obj.message, stack: obj.stack } };
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return obj;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) {
      out ??= { ...(obj as Record<string, unknown>) };
      out[k] = { type: v.name, message: v.message, stack: v.stack, ...('code' in v ? { code: v.code } : {}) };
    }
  }
  return out ?? obj;
}

/**
 * `logger` with every registered secret scrubbed from messages, bindings and logged objects
 * (errors included) before they reach it. With nothing registered, objects pass unchanged.
 */
export function redactingLogger(logger: Logger, redactor: SecretRedactor): Logger {
  const clean = (obj: unknown) => (redactor.size ? redactor.scrubDeep(plain(obj)) : obj);
  const text = (msg?: string) => (msg && redactor.size ? redactor.scrub(msg) : msg);
  return {
    debug: (obj, msg) => logger.debug(clean(obj), text(msg)),
    info: (obj, msg) => logger.info(clean(obj), text(msg)),
    warn: (obj, msg) => logger.warn(clean(obj), text(msg)),
    error: (obj, msg) => logger.error(clean(obj), text(msg)),
    child: (bindings) => redactingLogger(logger.child(redactor.scrubDeep(bindings)), redactor),
  };
}
