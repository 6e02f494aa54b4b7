// Resolvers reach data only through the tenant-scoped engine (`engine.forTenant`), which
// refuses other tenants' ids; a resolver that read the store would bypass that check.
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { expect, test } from 'vitest';

const dir = new URL('.', import.meta.url);
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => ts.createSourceFile(f, readFileSync(new URL(f, dir), 'utf8'), ts.ScriptTarget.Latest, true));

/** `file:line expression` of every `x.store` in a source file. */
function storeAccesses(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'store') {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push(`${source.fileName}:${line} ${node.getText(source)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('no resolver of the schema references .store', () => {
  expect(sources.filter((s) => s.text.includes('@Resolver(')).length).toBeGreaterThanOrEqual(5);
  expect(sources.flatMap(storeAccesses)).toEqual([]);
});

test('the check finds a store access', () => {
  const sample = ts.createSourceFile(
    'x.ts',
    'const r = ctx.engine.store.getRun(t, id);',
    ts.ScriptTarget.Latest,
    true,
  );
  expect(storeAccesses(sample)).toEqual(['x.ts:1 ctx.engine.store']);
});
