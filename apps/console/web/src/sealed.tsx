import { Fragment } from 'react';
import type { SegmentDef } from './segment-model.js';

/** What the gateway shows in place of a sealed value. */
export const SEALED = '[sealed]';

function segmentsOf(path: string): string[] {
  if (path.startsWith('/'))
    return path
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return path.split('.').filter((s) => s !== '');
}

function sealAt(value: unknown, segments: readonly string[]): unknown {
  if (!segments.length) return SEALED;
  if (typeof value !== 'object' || value === null) return value;
  const [head, ...rest] = segments as [string, ...string[]];
  if (Array.isArray(value)) {
    if (head === '*') return value.map((item) => sealAt(item, rest));
    const index = Number(head);
    if (!Number.isInteger(index) || index < 0 || index >= value.length) return value;
    const copy = [...value];
    copy[index] = sealAt(copy[index], rest);
    return copy;
  }
  const record = value as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(record) : Object.hasOwn(record, head) ? [head] : [];
  if (!keys.length) return value;
  const copy: Record<string, unknown> = { ...record };
  for (const key of keys) copy[key] = sealAt(record[key], rest);
  return copy;
}

/**
 * `value` with the values at `paths` (dotted, `*` for any key or item, or JSON pointers)
 * replaced by {@link SEALED}: the console never draws a value its segment seals, even from a
 * gateway that sent it.
 */
export function sealPaths(value: unknown, paths: readonly string[]): unknown {
  let current = value;
  for (const path of paths) {
    const segments = segmentsOf(path);
    if (segments.length) current = sealAt(current, segments);
  }
  return current;
}

const TOKEN = JSON.stringify(SEALED);

/** Pretty JSON in which every sealed value shows as a "sealed" badge, never as text to copy. */
export function JsonView({
  value,
  sealed = [],
  className,
}: {
  value: unknown;
  sealed?: readonly string[];
  className?: string;
}) {
  if (value === undefined) return <pre className={className}>—</pre>;
  const text = JSON.stringify(sealPaths(value, sealed), null, 2);
  const parts = text.split(TOKEN);
  return (
    <pre className={className}>
      {parts.map((part, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text have no identity but their place
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 ? (
            <span className="sealed" title="Sealed: encrypted at rest, never shown">
              🔒 sealed
            </span>
          ) : null}
        </Fragment>
      ))}
    </pre>
  );
}

/** The paths a step seals: the segment's own `sealed_fields` plus the step's (beside or in its config). */
export function sealedOf(segment: SegmentDef, stepId?: string): string[] {
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((p) => typeof p === 'string') : []);
  const def = stepId ? segment.steps.find((s) => s.step_id === stepId) : undefined;
  return [...list(segment.sealed_fields), ...list(def?.sealed_fields), ...list(def?.config?.sealed_fields)];
}
