// Checks the event and audit registries against the code that emits and the README that
// documents them, by reading the sources with the TypeScript compiler API.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../../..');
const readme = readFileSync(join(here, '../../README.md'), 'utf8');

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

/** The members of a registry interface with their TSDoc text. */
function registry(file: string, name: string): Map<string, string> {
  const source = parse(join(here, file));
  const decl = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name,
  );
  if (!decl) throw new Error(`${file} declares no interface ${name}`);
  const out = new Map<string, string>();
  for (const member of decl.members) {
    if (!member.name || !ts.isStringLiteral(member.name))
      throw new Error(`${name}: a key is not a string literal`);
    const doc = ts
      .getJSDocCommentsAndTags(member)
      .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '')
      .join(' ')
      .trim();
    out.set(member.name.text, doc);
  }
  return out;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.tsx?$/.test(entry) && !/\.test(-d)?\.tsx?$/.test(entry)) out.push(path);
  }
  return out;
}

/** Every string a node can evaluate to, when it is a literal or a conditional of literals. */
function literals(node: ts.Node): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isConditionalExpression(node)) return [...literals(node.whenTrue), ...literals(node.whenFalse)];
  if (ts.isParenthesizedExpression(node)) return literals(node.expression);
  if (ts.isTemplateExpression(node)) return [`${node.head.text}*`];
  return [];
}

const hasProp = (o: ts.ObjectLiteralExpression, name: string) =>
  o.properties.some((p) => p.name && ts.isIdentifier(p.name) && p.name.text === name);

/** Event types and audit actions written as literals in the non-test sources of the repo. */
function emitted(): { events: Map<string, string>; audit: Map<string, string> } {
  const events = new Map<string, string>();
  const audit = new Map<string, string>();
  const roots = ['packages', 'plugins', 'apps'].flatMap((d) =>
    readdirSync(join(repo, d)).map((p) => join(repo, d, p, 'src')),
  );
  for (const root of roots) {
    let files: string[];
    try {
      files = sourceFiles(root);
    } catch {
      continue;
    }
    for (const file of files) {
      const source = parse(file);
      const where = (n: ts.Node) =>
        `${file.slice(repo.length + 1)}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
      const visit = (node: ts.Node): void => {
        if (
          ts.isCallExpression(node) &&
          ts.isPropertyAccessExpression(node.expression) &&
          node.expression.name.text === 'emit' &&
          node.arguments[0]
        ) {
          for (const t of literals(node.arguments[0])) events.set(t, where(node));
        }
        if (ts.isObjectLiteralExpression(node)) {
          for (const p of node.properties) {
            if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) continue;
            if (p.name.text === 'type' && hasProp(node, 'data') && !hasProp(node, 'actor'))
              for (const t of literals(p.initializer)) if (t.includes('.')) events.set(t, where(p));
            if (p.name.text === 'action' && hasProp(node, 'actor'))
              for (const t of literals(p.initializer)) audit.set(t, where(p));
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return { events, audit };
}

const EVENTS = registry('event-types.ts', 'WorktrailEventMap');
const AUDIT = registry('audit-actions.ts', 'AuditActionMap');
const found = emitted();

describe('worktrail event registry', () => {
  test('every event type emitted in the sources is registered', () => {
    expect(found.events.size).toBeGreaterThan(20);
    for (const [type, at] of found.events) expect(EVENTS.has(type), `${type} (${at})`).toBe(true);
  });

  test('every registered event type is emitted somewhere (no dead entries)', () => {
    for (const type of EVENTS.keys()) expect(found.events.has(type), type).toBe(true);
  });

  test('every event type has TSDoc and a row in the README table', () => {
    for (const [type, doc] of EVENTS) {
      expect(doc, `TSDoc of ${type}`).not.toBe('');
      expect(readme, type).toContain(`| \`${type}\` |`);
    }
  });
});

describe('audit action registry', () => {
  test('every audit action appended in the sources is registered', () => {
    expect(found.audit.size).toBeGreaterThan(10);
    for (const [action, at] of found.audit) {
      if (action.endsWith('*')) {
        // A template (`interaction.${answer}`): its family must be registered.
        const prefix = action.slice(0, -1);
        expect(
          [...AUDIT.keys()].some((k) => k.startsWith(prefix)),
          `${action} (${at})`,
        ).toBe(true);
      } else expect(AUDIT.has(action), `${action} (${at})`).toBe(true);
    }
  });

  test('every audit action has TSDoc and a row in the README table', () => {
    for (const [action, doc] of AUDIT) {
      expect(doc, `TSDoc of ${action}`).not.toBe('');
      expect(readme, action).toContain(`| \`${action}\` |`);
    }
  });
});
