import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const sources = new Map();
for (const group of ['packages', 'plugins', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const manifest = join(dir, name, 'package.json');
    const entry = join(dir, name, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(entry)) continue;
    sources.set(JSON.parse(readFileSync(manifest, 'utf8')).name, pathToFileURL(entry).href);
  }
}

export async function resolve(specifier, context, next) {
  const source = sources.get(specifier);
  if (source) return { url: source, shortCircuit: true };
  return next(specifier, context);
}
