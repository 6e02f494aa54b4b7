import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** package name -> src/index.ts URL; dist/index.js URL -> src/index.ts URL */
const sources = new Map();
for (const group of ['packages', 'plugins', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const manifest = join(dir, name, 'package.json');
    const entry = join(dir, name, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(entry)) continue;
    const src = pathToFileURL(entry).href;
    sources.set(JSON.parse(readFileSync(manifest, 'utf8')).name, src);
    sources.set(pathToFileURL(join(dir, name, 'dist', 'index.js')).href, src);
  }
}

export async function resolve(specifier, context, next) {
  const direct = sources.get(specifier);
  if (direct && !(specifier.startsWith('file:') && existsSync(new URL(specifier))))
    return { url: direct, shortCircuit: true };
  const resolved = await next(specifier, context).catch((error) => {
    throw error;
  });
  // A workspace package that is not built: run its sources instead of failing.
  const fallback = sources.get(resolved.url);
  if (fallback && !existsSync(new URL(resolved.url))) return { url: fallback, shortCircuit: true };
  return resolved;
}
