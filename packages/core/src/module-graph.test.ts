import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.startsWith('test-')
        ? [join(dir, e.name)]
        : [],
  );
}

/**
 * Relative value imports of each source file, as absolute `.ts` paths (`import type` is
 * erased by the compiler, so it cannot form a cycle at run time).
 */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(root)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^(import|export)(?! type)[^;]*? from '(\.{1,2}\/[^']+)\.js'/gms)].map(
      (m) => resolve(dirname(file), `${m[2]}.ts`),
    );
    graph.set(file, targets);
  }
  return graph;
}

describe('module graph of @llmteam/core', () => {
  test('has no import cycle', () => {
    const graph = importGraph();
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      state.set(file, 1);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 1)
          cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(root, f)).join(' -> '));
        else if (!state.has(next) && graph.has(next)) visit(next, [...path, next]);
      }
      state.set(file, 2);
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  test('the engine and segment folders name no step type of their own', () => {
    for (const file of sources(root)) {
      const rel = relative(root, file);
      if (!rel.startsWith('engine/') && !rel.startsWith('segment/')) continue;
      expect(readFileSync(file, 'utf8'), rel).not.toMatch(/human|changes_requested/i);
    }
  });
});
