import { fileURLToPath } from 'node:url';
import { freePort } from '../servers/free-port.js';
import type { StoreSuiteDescribe, StoreSuiteExpect } from '../store-suite/suite-support.js';
import {
  type ReadmeExample,
  type ReadmeExampleResult,
  type RunReadmeExampleOptions,
  readmeExamples,
  runReadmeExample,
  type ServingReadmeExample,
  startReadmeExample,
} from './readme-examples.js';

/** A runner's `test` with `skip` (vitest's and jest's have both). */
export interface ReadmeSuiteTest {
  (name: string, fn: () => Promise<void>, timeout?: number): void;
  skip(name: string, fn?: () => Promise<void>): void;
}

/** A server the shell examples run against, started by the test (e.g. what `pnpm start` runs). */
export interface ReadmeExampleServer {
  /** Variables the shell examples see (the admin key, ...). */
  env?: Record<string, string>;
  stop(): Promise<void>;
}

/** Options of {@link readmeExamplesSuite}. */
export interface ReadmeExamplesSuiteOptions {
  /** The README (path or `file:` URL). */
  readme: string | URL;
  test: ReadmeSuiteTest;
  expect: StoreSuiteExpect;
  describe: StoreSuiteDescribe;
  /** Export conditions for programs, e.g. `['llmteam-source']` to run a workspace's sources. */
  conditions?: string[];
  /** Options for every example (and a function for one example's own). */
  run?: RunReadmeExampleOptions | ((example: ReadmeExample) => RunReadmeExampleOptions);
  /**
   * Starts what the examples talk to, given the free port that stands for `4000`; started
   * before the first example, stopped after the last one.
   */
  server?(port: number): Promise<ReadmeExampleServer>;
  /** More checks of one example's result (what it printed). */
  check?(example: ReadmeExample, result: ReadmeExampleResult): void | Promise<void>;
  /**
   * Output that fails an example although it exited 0. @default a GraphQL response with
   * `"errors"`
   */
  failOn?: RegExp;
  /** Per example. @default 120000 */
  timeoutMs?: number;
}

const squeeze = (text: string) => text.replace(/\s+/g, '');

/**
 * What a program says it prints: the comment after each `console.log(...)` standing alone
 * on its line (`console.log(run.status); // completed`), as a pattern for what it printed
 * (objects may span lines): white space does not count, `...` stands for anything, and
 * `4000` for the port in use.
 */
export function promisedOutput(example: ReadmeExample, port?: number): RegExp[] {
  if (example.lang === 'sh') return [];
  return [...example.code.matchAll(/^\s*console\.log\(.*\);?[ \t]*\/\/[ \t]*(.+?)[ \t]*$/gm)].map((m) => {
    const parts = squeeze(m[1])
      .split('...')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const source = parts.join('.*');
    return new RegExp(port === undefined ? source : source.replace(/(?<![\w.])4000(?![\w.])/g, String(port)));
  });
}

/**
 * One test per example of a README (see `readmeExamples` for what counts as one and for
 * the `<!-- example: ... -->` marks): each runs as written, in order, and must exit 0 with
 * nothing on its output that `failOn` matches. Blocks marked skip are listed as skipped
 * tests with their reason. A last test stops what was served and checks that a serving
 * example ended cleanly on SIGTERM.
 */
export function readmeExamplesSuite(options: ReadmeExamplesSuiteOptions): void {
  const { test, expect, describe } = options;
  const readme = typeof options.readme === 'string' ? options.readme : fileURLToPath(options.readme);
  const examples = readmeExamples(readme);
  const failOn = options.failOn ?? /"errors"\s*:\s*\[/;
  const timeout = options.timeoutMs ?? 120_000;
  let port: number | undefined;
  let serving: { example: ReadmeExample; process: ServingReadmeExample } | undefined;
  let server: ReadmeExampleServer | undefined;
  const optionsFor = async (example: ReadmeExample): Promise<RunReadmeExampleOptions> => {
    port ??= await freePort();
    const own = typeof options.run === 'function' ? options.run(example) : options.run;
    return {
      port,
      timeoutMs: timeout,
      nodeArgs: [...(options.conditions ?? []).map((c) => `--conditions=${c}`), '--import', 'tsx'],
      ...own,
      env: { ...server?.env, ...own?.env },
    };
  };

  describe(`${readme.split('/').slice(-3).join('/')} examples`, () => {
    if (examples.length === 0) {
      test('has examples', async () => expect(examples.length).toBeGreaterThan(0));
      return;
    }
    for (const example of examples) {
      const name = `line ${example.line} (${example.lang}${example.heading ? `, ${example.heading}` : ''})`;
      if (example.skip) {
        test.skip(`${name}: not run: ${example.skip}`);
        continue;
      }
      test(
        `${name} runs as written`,
        async () => {
          if (options.server && !server) {
            port ??= await freePort();
            server = await options.server(port);
          }
          const run = await optionsFor(example);
          if (example.serves) {
            serving = { example, process: await startReadmeExample(example, run) };
            return;
          }
          const result = await runReadmeExample(example, run);
          const output = `${result.where} exited with ${result.code}:\n${result.stdout}${result.stderr}`;
          expect(result.code, output).toBe(0);
          expect(failOn.test(result.stdout), output).toBe(false);
          const printed = squeeze(result.stdout);
          for (const shown of promisedOutput(example, run.port))
            expect(shown.test(printed), `${output}\nshould print: ${shown.source}`).toBe(true);
          await options.check?.(example, result);
        },
        timeout + 10_000,
      );
    }
    if (!options.server && !examples.some((e) => e.serves && !e.skip)) return;
    test(
      'stops what the examples served; a serving example ends cleanly on SIGTERM',
      async () => {
        await server?.stop();
        if (!serving) return;
        const result = await serving.process.stop();
        expect(result.code, `${result.where}:\n${result.stdout}${result.stderr}`).toBe(0);
      },
      timeout,
    );
  });
}
