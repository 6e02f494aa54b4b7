import type { StepType } from '@llmteam/client';
import type { CanvasProblem } from './canvas-checks.js';
import type { JsonSchema } from './json-schema.js';
import { SchemaFields } from './schema-form.js';
import type { StepDef } from './segment-model.js';

const ports = (list: Array<{ port_id: string }> | undefined) => (list ?? []).map((p) => p.port_id).join(', ');
const parsePorts = (text: string) =>
  text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((port_id) => ({ port_id }));

/** The canvas's right panel: the selected step's id, name, ports and config form, then every problem. */
export function CanvasInspector({
  step,
  stepType,
  problems,
  setStep,
  onDelete,
}: {
  step: StepDef | undefined;
  stepType: StepType | undefined;
  problems: CanvasProblem[];
  setStep: (next: StepDef) => void;
  onDelete: (stepId: string) => void;
}) {
  return (
    <aside className="panel inspector" aria-labelledby="inspector-heading">
      <h2 id="inspector-heading">{step ? `Step ${step.step_id}` : 'Problems'}</h2>
      {step && stepType ? (
        <form onSubmit={(e) => e.preventDefault()} noValidate>
          <div className="field">
            <label htmlFor="step-id">Step id</label>
            <input
              id="step-id"
              type="text"
              value={step.step_id}
              onChange={(e) => setStep({ ...step, step_id: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor="step-name">Name</label>
            <input
              id="step-name"
              type="text"
              value={step.name ?? ''}
              onChange={(e) => setStep({ ...step, name: e.target.value })}
            />
          </div>
          {stepType.dynamicPorts || !stepType.inputs.length ? (
            <>
              <div className="field">
                <label htmlFor="step-inputs">Input ports (comma-separated)</label>
                <input
                  id="step-inputs"
                  type="text"
                  value={ports(step.inputs)}
                  onChange={(e) => setStep({ ...step, inputs: parsePorts(e.target.value) })}
                />
              </div>
              <div className="field">
                <label htmlFor="step-outputs">Output ports (comma-separated)</label>
                <input
                  id="step-outputs"
                  type="text"
                  value={ports(step.outputs)}
                  onChange={(e) => setStep({ ...step, outputs: parsePorts(e.target.value) })}
                />
              </div>
            </>
          ) : null}
          <fieldset>
            <legend>Config ({stepType.displayName})</legend>
            <SchemaFields
              key={step.step_id}
              schema={stepType.configSchema as JsonSchema}
              value={step.config ?? {}}
              problems={problems
                .filter((p) => p.stepId === step.step_id && p.path.includes('.config'))
                .map((p) => ({
                  path: p.path.replace(/^.*?\.config/, '').replace(/\./g, '/'),
                  message: p.message.replace(/^config\S*\s/, ''),
                }))}
              onChange={(config) => setStep({ ...step, config: (config ?? {}) as Record<string, unknown> })}
            />
          </fieldset>
          <button type="button" className="danger" onClick={() => onDelete(step.step_id)}>
            Delete step
          </button>
        </form>
      ) : null}
      <h3>{problems.length ? `${problems.length} problem(s)` : 'No problems found'}</h3>
      <ul className="problems" aria-label="Validation problems">
        {problems.map((p, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: problems are recomputed as a whole
          <li key={i}>
            <span className="mono">{p.path}</span>: {p.message}
          </li>
        ))}
      </ul>
    </aside>
  );
}
