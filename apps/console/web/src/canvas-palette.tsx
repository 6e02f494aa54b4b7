import type { StepType } from '@llmteam/client';

/** The canvas's left panel: every step type, to drag onto the canvas or add with a press. */
export function CanvasPalette({ types, onAdd }: { types: StepType[]; onAdd: (type: StepType) => void }) {
  return (
    <aside className="panel palette" aria-labelledby="palette-heading">
      <h2 id="palette-heading">Step types</h2>
      <p className="help">Drag onto the canvas, or press to add.</p>
      {types.map((t) => (
        <button
          type="button"
          key={t.type}
          draggable
          onDragStart={(e) => {
            e.dataTransfer.setData('application/x-llmteam-step-type', t.type);
            e.dataTransfer.effectAllowed = 'copy';
          }}
          onClick={() => onAdd(t)}
          title={t.description ?? undefined}
        >
          {t.displayName} <span className="help">{t.category.toLowerCase()}</span>
        </button>
      ))}
    </aside>
  );
}
