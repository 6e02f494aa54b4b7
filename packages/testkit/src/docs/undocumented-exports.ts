import { resolve } from 'node:path';

/** Options of {@link undocumentedExports}. */
export interface UndocumentedExportsOptions {
  /**
   * Export conditions to resolve workspace packages with (the repository's own
   * `llmteam-source` maps them to their sources).
   * @default ["llmteam-source"]
   */
  conditions?: string[];
}

/**
 * The names a package's public entry point exports without TSDoc, read with the TypeScript
 * compiler API (every `export *` and re-export followed to its declaration). A package's
 * test asserts the list is empty, so a new export without a comment fails the build.
 * Needs `typescript` (a peer dependency, loaded only when this runs).
 *
 * @param entry the entry file, e.g. `packages/core/src/index.ts`
 * @returns `name (file)` for each undocumented export, sorted
 */
export async function undocumentedExports(
  entry: string,
  options: UndocumentedExportsOptions = {},
): Promise<string[]> {
  const ts = (await import('typescript')).default;
  const file = resolve(entry);
  const program = ts.createProgram([file], {
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    customConditions: options.conditions ?? ['llmteam-source'],
    experimentalDecorators: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module the TypeScript compiler can read`);
  const missing: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.getDeclarations() ?? [];
    const documented =
      ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== '' ||
      declarations.some((d) => ts.getJSDocTags(d).length > 0);
    if (!documented) {
      const where = declarations[0]?.getSourceFile().fileName ?? '?';
      missing.push(`${exported.getName()} (${where.replace(`${process.cwd()}/`, '')})`);
    }
  }
  return missing.sort();
}
