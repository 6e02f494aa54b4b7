import { redactPaths, SEALED_PLACEHOLDER } from '@llmteam/core/types';
import { Fragment } from 'react';
import type { SegmentDef } from './segment-model.js';

const TOKEN = JSON.stringify(SEALED_PLACEHOLDER);

/**
 * Pretty JSON in which every sealed value shows as a "sealed" badge, never as text to copy.
 * The paths are redacted with the engine's own `redactPaths`, so the console never draws a
 * value its segment seals, even from a gateway that sent it.
 */
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
  const text = JSON.stringify(redactPaths(value, sealed), null, 2);
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
