import { useId, useState } from 'react';
import type { JsonSchema, SchemaProblem } from './json-schema.js';

/** Props of {@link SchemaFields}. */
export interface SchemaFieldsProps {
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  /** Problems to show next to their fields (JSON pointers). */
  problems: SchemaProblem[];
  /** Pointer of this value inside the whole. @default "" */
  path?: string;
  /** Label of this value. */
  label?: string;
  required?: boolean;
}

function firstType(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  if (schema.enum) return 'enum';
  return undefined;
}

function ProblemText({ id, problems }: { id: string; problems: SchemaProblem[] }) {
  if (!problems.length) return null;
  return (
    <span id={id} className="field-error" role="alert">
      {problems.map((p) => p.message).join('; ')}
    </span>
  );
}

/** A JSON text box for values the form has no widget for (arrays, free objects). */
function JsonField(props: SchemaFieldsProps & { id: string; describedBy: string; invalid: boolean }) {
  const [text, setText] = useState(() =>
    props.value === undefined ? '' : JSON.stringify(props.value, null, 2),
  );
  const [parseError, setParseError] = useState<string>();
  return (
    <>
      <textarea
        id={props.id}
        className="mono"
        rows={4}
        value={text}
        aria-invalid={props.invalid || !!parseError}
        aria-describedby={props.describedBy}
        onChange={(event) => {
          setText(event.target.value);
          if (!event.target.value.trim()) {
            setParseError(undefined);
            props.onChange(undefined);
            return;
          }
          try {
            props.onChange(JSON.parse(event.target.value));
            setParseError(undefined);
          } catch {
            setParseError('must be valid JSON');
          }
        }}
      />
      {parseError ? <span className="field-error">{parseError}</span> : null}
    </>
  );
}

/** Form fields generated from a JSON Schema: one labelled control per property, errors beside each. */
export function SchemaFields(props: SchemaFieldsProps) {
  const { schema, value, onChange, problems, path = '' } = props;
  const id = useId();
  const errorId = `${id}-error`;
  const helpId = `${id}-help`;
  const own = problems.filter((p) => p.path === path);
  const type = firstType(schema);
  const label = schema.title ?? props.label ?? 'Value';
  const describedBy = [schema.description ? helpId : '', own.length ? errorId : ''].filter(Boolean).join(' ');
  const help = schema.description ? (
    <span id={helpId} className="help">
      {schema.description}
    </span>
  ) : null;

  if (type === 'object' && schema.properties) {
    const object = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    const inner = (
      <>
        {Object.entries(schema.properties).map(([key, sub]) => (
          <SchemaFields
            key={key}
            schema={sub}
            label={key}
            path={`${path}/${key}`}
            required={schema.required?.includes(key)}
            value={object[key]}
            problems={problems}
            onChange={(next) => {
              const copy = { ...object };
              if (next === undefined) delete copy[key];
              else copy[key] = next;
              onChange(copy);
            }}
          />
        ))}
        <ProblemText id={errorId} problems={own} />
      </>
    );
    if (path === '') return <div className="schema-form">{inner}</div>;
    return (
      <fieldset className="schema-group">
        <legend>{label}</legend>
        {help}
        {inner}
      </fieldset>
    );
  }

  const labelText = (
    <>
      {label}
      {props.required ? <span aria-hidden="true"> *</span> : null}
    </>
  );
  let control: React.ReactNode;
  if (schema.enum) {
    control = (
      <select
        id={id}
        value={value === undefined ? '' : JSON.stringify(value)}
        aria-invalid={own.length > 0}
        aria-describedby={describedBy || undefined}
        required={props.required}
        onChange={(event) => onChange(event.target.value ? JSON.parse(event.target.value) : undefined)}
      >
        <option value="">Choose…</option>
        {schema.enum.map((option) => (
          <option key={JSON.stringify(option)} value={JSON.stringify(option)}>
            {String(option)}
          </option>
        ))}
      </select>
    );
  } else if (type === 'boolean') {
    return (
      <div className="field field-check">
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          aria-describedby={describedBy || undefined}
          onChange={(event) => onChange(event.target.checked)}
        />
        <label htmlFor={id}>{labelText}</label>
        {help}
        <ProblemText id={errorId} problems={own} />
      </div>
    );
  } else if (type === 'number' || type === 'integer') {
    control = (
      <input
        id={id}
        type="number"
        step={type === 'integer' ? 1 : 'any'}
        value={typeof value === 'number' ? value : value === undefined ? '' : String(value)}
        aria-invalid={own.length > 0}
        aria-describedby={describedBy || undefined}
        required={props.required}
        onChange={(event) => {
          const text = event.target.value;
          onChange(text === '' ? undefined : Number.isNaN(Number(text)) ? text : Number(text));
        }}
      />
    );
  } else if (type === 'string') {
    const long = (schema.maxLength ?? 0) > 200 || schema.format === 'textarea';
    const common = {
      id,
      value: typeof value === 'string' ? value : '',
      'aria-invalid': own.length > 0,
      'aria-describedby': describedBy || undefined,
      required: props.required,
      onChange: (event: { target: { value: string } }) =>
        onChange(event.target.value === '' && !props.required ? undefined : event.target.value),
    };
    control = long ? (
      <textarea rows={4} {...common} />
    ) : (
      <input
        type={schema.format === 'email' ? 'email' : schema.format === 'date' ? 'date' : 'text'}
        {...common}
      />
    );
  } else {
    control = <JsonField {...props} id={id} describedBy={describedBy} invalid={own.length > 0} />;
  }
  return (
    <div className="field">
      <label htmlFor={id}>{labelText}</label>
      {help}
      {control}
      <ProblemText id={errorId} problems={own} />
    </div>
  );
}
