import { useEffect, useState } from 'react';
import { useSession } from './session.js';

const INTROSPECTION = `query ConsoleSchema {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { kind name description fields { name description args { name type { ...T } } type { ...T } } enumValues { name } }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`;

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface Field {
  name: string;
  description: string | null;
  args: Array<{ name: string; type: TypeRef }>;
  type: TypeRef;
}
interface SchemaType {
  kind: string;
  name: string;
  description: string | null;
  fields: Field[] | null;
  enumValues: Array<{ name: string }> | null;
}

function typeName(t: TypeRef): string {
  if (t.kind === 'NON_NULL') return `${typeName(t.ofType as TypeRef)}!`;
  if (t.kind === 'LIST') return `[${typeName(t.ofType as TypeRef)}]`;
  return t.name ?? '?';
}

const EXAMPLE = `query Inbox {
  viewer { subject tenantId roles groups }
  interactions { id title type priority status deadline }
}`;

/** A GraphQL explorer for signed-in users: queries and mutations with the session's key, and the schema's docs. */
export function Explorer() {
  const { client } = useSession();
  const [query, setQuery] = useState(EXAMPLE);
  const [variables, setVariables] = useState('{}');
  const [result, setResult] = useState('');
  const [busy, setBusy] = useState(false);
  const [types, setTypes] = useState<SchemaType[]>([]);
  const [roots, setRoots] = useState<string[]>([]);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    client
      .request<{
        __schema: {
          types: SchemaType[];
          queryType: { name: string };
          mutationType: { name: string } | null;
          subscriptionType: { name: string } | null;
        };
      }>(INTROSPECTION)
      .then(({ __schema }) => {
        setTypes(__schema.types.filter((t) => !t.name.startsWith('__')));
        setRoots(
          [__schema.queryType.name, __schema.mutationType?.name, __schema.subscriptionType?.name].filter(
            Boolean,
          ) as string[],
        );
      })
      .catch((cause) => setResult(`Schema not available: ${(cause as Error).message}`));
  }, [client]);

  async function run() {
    setBusy(true);
    try {
      const vars = variables.trim() ? (JSON.parse(variables) as Record<string, unknown>) : undefined;
      setResult(JSON.stringify({ data: await client.request(query, vars) }, null, 2));
    } catch (cause) {
      const errors = (cause as { errors?: unknown[] }).errors;
      setResult(JSON.stringify(errors?.length ? { errors } : { error: (cause as Error).message }, null, 2));
    } finally {
      setBusy(false);
    }
  }

  const shown = [...types]
    .sort(
      (a, b) =>
        Number(roots.includes(b.name)) - Number(roots.includes(a.name)) || a.name.localeCompare(b.name),
    )
    .filter(
      (t) =>
        !filter ||
        t.name.toLowerCase().includes(filter.toLowerCase()) ||
        t.fields?.some((f) => f.name.toLowerCase().includes(filter.toLowerCase())),
    );

  return (
    <div>
      <div className="toolbar">
        <h1>GraphQL explorer</h1>
        <span className="help">Requests go to /graphql with your key. Subscriptions are not run here.</span>
      </div>
      <div className="explorer">
        <div className="panel">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void run();
            }}
          >
            <div className="field">
              <label htmlFor="gql-query">Query</label>
              <textarea
                id="gql-query"
                spellCheck={false}
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                    e.preventDefault();
                    void run();
                  }
                }}
                aria-describedby="gql-hint"
              />
              <span id="gql-hint" className="help">
                Ctrl+Enter runs it.
              </span>
            </div>
            <div className="field">
              <label htmlFor="gql-vars">Variables (JSON)</label>
              <textarea
                id="gql-vars"
                spellCheck={false}
                style={{ minHeight: '5rem' }}
                value={variables}
                onChange={(e) => setVariables(e.target.value)}
              />
            </div>
            <button type="submit" className="primary" disabled={busy}>
              Run
            </button>
          </form>
          <h2>Result</h2>
          <pre aria-live="polite" data-testid="gql-result">
            {result}
          </pre>
        </div>
        <div className="panel">
          <h2>Schema</h2>
          <div className="field">
            <label htmlFor="gql-filter">Find a type or field</label>
            <input id="gql-filter" type="text" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </div>
          {shown.map((t) => (
            <details key={t.name} open={roots.includes(t.name) && t.name === 'Query'}>
              <summary>
                <span className="mono">{t.name}</span> <span className="help">{t.kind.toLowerCase()}</span>
              </summary>
              {t.description ? <p className="help">{t.description}</p> : null}
              <ul>
                {(t.fields ?? []).map((f) => (
                  <li key={f.name}>
                    <button
                      type="button"
                      className="mono"
                      style={{ minHeight: 0, padding: '0 0.3rem' }}
                      title="Insert into the query"
                      onClick={() => setQuery((q) => `${q}\n# ${t.name}.${f.name}`)}
                    >
                      {f.name}
                    </button>
                    {f.args.length
                      ? `(${f.args.map((a) => `${a.name}: ${typeName(a.type)}`).join(', ')})`
                      : ''}
                    : <span className="mono">{typeName(f.type)}</span>
                    {f.description ? <span className="help">{f.description}</span> : null}
                  </li>
                ))}
                {(t.enumValues ?? []).map((v) => (
                  <li key={v.name} className="mono">
                    {v.name}
                  </li>
                ))}
              </ul>
            </details>
          ))}
        </div>
      </div>
    </div>
  );
}
