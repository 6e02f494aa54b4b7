/**
 * Runs every benchmark (or those named on the command line) and prints one JSON object.
 * `pnpm bench` from the repository root; `pnpm bench engine human-waiting` for some.
 */
import { readdirSync } from 'node:fs';

const dir = new URL('.', import.meta.url);
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

const results: Record<string, unknown> = {};
for (const name of files) {
  const mod = (await import(new URL(`./${name}.ts`, dir).href)) as { run?: () => Promise<unknown> };
  if (typeof mod.run !== 'function') continue;
  process.stderr.write(`bench ${name}...\n`);
  try {
    results[name] = await mod.run();
  } catch (error) {
    results[name] = { error: (error as Error).message };
  }
}
console.log(JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2));
process.exit(0);
