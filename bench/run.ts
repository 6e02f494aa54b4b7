/**
 * Runs every benchmark (or those named on the command line) and prints one JSON object.
 * `pnpm bench` from the repository root; `pnpm bench engine human-waiting` for some;
 * `pnpm bench scale --runs 100000` for the scale benchmark (run only when named).
 */
import { readdirSync } from 'node:fs';

const dir = new URL('.', import.meta.url);
// Names select benchmarks; `--flag value` pairs are for the benchmarks themselves.
const args = process.argv.slice(2);
const wanted = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

const results: Record<string, unknown> = {};
for (const name of files) {
  const mod = (await import(new URL(`./${name}.ts`, dir).href)) as {
    run?: () => Promise<unknown>;
    namedOnly?: boolean;
  };
  if (typeof mod.run !== 'function') continue;
  // Long benchmarks (`scale`) run only when named.
  if (mod.namedOnly && !wanted.includes(name)) continue;
  process.stderr.write(`bench ${name}...\n`);
  try {
    results[name] = await mod.run();
  } catch (error) {
    results[name] = { error: (error as Error).message };
  }
}
console.log(JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 2));
process.exit(0);
