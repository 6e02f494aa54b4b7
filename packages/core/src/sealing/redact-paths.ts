/** What a sealed value is replaced with wherever a caller may not see it. */
export const SEALED_PLACEHOLDER = '[sealed]';

/** Path segments of a sealed field: dotted (`customer.tax_id`) or a JSON pointer (`/customer/tax_id`). */
export function sealedPathSegments(path: string): string[] {
  if (path.startsWith('/'))
    return path
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return path.split('.').filter((s) => s !== '');
}

function redactAt(value: unknown, segments: readonly string[]): unknown {
  if (segments.length === 0) return SEALED_PLACEHOLDER;
  if (typeof value !== 'object' || value === null) return value;
  const [head, ...rest] = segments as [string, ...string[]];
  if (Array.isArray(value)) {
    if (head === '*') return value.map((item) => redactAt(item, rest));
    const index = Number(head);
    if (!Number.isInteger(index) || index < 0 || index >= value.length) return value;
    const copy = [...value];
    copy[index] = redactAt(copy[index], rest);
    return copy;
  }
  const record = value as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(record) : Object.hasOwn(record, head) ? [head] : [];
  if (keys.length === 0) return value;
  const copy: Record<string, unknown> = { ...record };
  for (const key of keys) copy[key] = redactAt(record[key], rest);
  return copy;
}

/**
 * A copy of `value` with the value at every path replaced by {@link SEALED_PLACEHOLDER}.
 * Paths are dotted (`customer.tax_id`, `items.0.price`, `items.*.price`) or JSON pointers
 * (`/customer/tax_id`); a path that leads nowhere changes nothing. `value` is not modified.
 */
export function redactPaths(value: unknown, paths: readonly string[]): unknown {
  let current = value;
  for (const path of paths) {
    const segments = sealedPathSegments(path);
    if (segments.length) current = redactAt(current, segments);
  }
  return current;
}
