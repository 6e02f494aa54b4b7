// `@llmteam/core/types` is what browser code (the client, the console) compiles against:
// it must type-check with no Node types, or every browser build breaks.
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, test } from 'vitest';

test('@llmteam/core/types compiles for the browser, without Node types', () => {
  const entry = fileURLToPath(new URL('./shared-types.ts', import.meta.url));
  const program = ts.createProgram([entry], {
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  expect(problems).toEqual([]);
  // Only the registry and the type files it names are loaded, never the engine.
  const loaded = program
    .getSourceFiles()
    .map((f) => f.fileName)
    .filter((f) => f.includes('/core/src/'));
  expect(loaded.some((f) => f.includes('/engine/'))).toBe(false);
}, 60_000);
