import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * One example of a README: a fenced block that is a whole program (a ```ts or ```js block
 * that starts with its imports) or a shell session (a ```sh or ```bash block). Blocks of
 * other languages, and TypeScript blocks without imports (excerpts that the prose around
 * them explains), are no examples.
 *
 * An HTML comment on the line before the fence says more about a block:
 * - `<!-- example: skip REASON -->`: it cannot run here (a SaaS credential, the whole
 *   install); the suite lists it as skipped, with the reason.
 * - `<!-- example: serves -->`: a program that keeps serving (a gateway); it runs in the
 *   background until the README's last example, and the shell blocks after it run against
 *   it. It is ready when it first prints a line, and is stopped with SIGTERM.
 */
export interface ReadmeExample {
  /** The README's path. */
  readme: string;
  /** Line of the opening fence (1-based). */
  line: number;
  lang: 'ts' | 'js' | 'sh';
  code: string;
  /** The nearest heading above the block (`''` before the first one). */
  heading: string;
  /** Why it is not run, from `<!-- example: skip REASON -->`. */
  skip?: string;
  /** From `<!-- example: serves -->`. */
  serves?: boolean;
}

const FENCE = /^```(\w+)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
const MARK = /<!--\s*example:\s*(skip|serves)\b\s*(.*?)\s*-->\s*$/;

/** The examples of a README, in order (see {@link ReadmeExample} for what counts as one). */
export function readmeExamples(readme: string): ReadmeExample[] {
  const text = readFileSync(readme, 'utf8');
  const examples: ReadmeExample[] = [];
  for (const match of text.matchAll(FENCE)) {
    const languages: Record<string, ReadmeExample['lang']> = {
      ts: 'ts',
      typescript: 'ts',
      js: 'js',
      javascript: 'js',
      sh: 'sh',
      bash: 'sh',
    };
    const lang = languages[match[1]];
    const code = match[2];
    if (!lang || (lang !== 'sh' && !/^import\s/m.test(code))) continue;
    const before = text.slice(0, match.index).split('\n');
    const line = before.length;
    const previous =
      before
        .slice(0, -1)
        .reverse()
        .find((l) => l.trim() !== '') ?? '';
    const mark = MARK.exec(previous);
    const heading =
      text
        .slice(0, match.index)
        .replace(/^```[\s\S]*?^```/gm, '')
        .split('\n')
        .reverse()
        .find((l) => /^#{1,6} /.test(l))
        ?.replace(/^#+ /, '') ?? '';
    examples.push({
      readme,
      line,
      lang,
      code,
      heading,
      ...(mark?.[1] === 'skip' ? { skip: mark[2] || 'marked skip' } : {}),
      ...(mark?.[1] === 'serves' ? { serves: true } : {}),
    });
  }
  return examples;
}

/** How {@link runReadmeExample} and {@link startReadmeExample} run a block. */
export interface RunReadmeExampleOptions {
  /**
   * Working directory. @default for a shell block the README's folder; for a program a
   * fresh folder beside the README (removed afterwards), so `import`s resolve against the
   * README's package and relative files it writes go away.
   */
  cwd?: string;
  /** Added to the environment. */
  env?: Record<string, string>;
  /**
   * Where a program is written (in a fresh folder below it), so its imports resolve from
   * there: a package that depends on what the README's example imports. @default the
   * README's folder
   */
  resolveFrom?: string;
  /**
   * A free port that stands for the port the README writes (`4000`): every `4000` standing
   * alone in the block is replaced by it, so examples do not fight over one port.
   */
  port?: number;
  /** Shell code run before a shell block in the same shell (definitions from another README). */
  prelude?: string;
  /** Killed after this long. @default 120000 */
  timeoutMs?: number;
  /**
   * Node options for programs: `--import tsx` by default; add `--conditions=<name>` to run
   * a workspace's packages from their sources.
   */
  nodeArgs?: string[];
}

/** What a block did. */
export interface ReadmeExampleResult {
  /** Exit code (`null` when it was killed). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Where the example stands, for messages: `packages/core/README.md:8`. */
  where: string;
}

/** A serving example: its output so far, and a stop. */
export interface ServingReadmeExample {
  output(): string;
  /** SIGTERM, then what it did. */
  stop(): Promise<ReadmeExampleResult>;
}

function launch(example: ReadmeExample, options: RunReadmeExampleOptions) {
  const withPort = (code: string) =>
    options.port === undefined ? code : code.replace(/(?<![\w.])4000(?![\w.])/g, String(options.port));
  const env = { ...process.env, ...options.env };
  let dir: string | undefined;
  let child: ChildProcess;
  if (example.lang === 'sh') {
    const script = `set -euo pipefail\n${options.prelude ? `${withPort(options.prelude)}\n` : ''}${withPort(example.code)}`;
    child = spawn('bash', ['-c', script], {
      cwd: options.cwd ?? dirname(example.readme),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } else {
    dir = mkdtempSync(join(options.resolveFrom ?? dirname(example.readme), '.readme-example-'));
    const file = join(dir, `example.${example.lang === 'ts' ? 'ts' : 'mjs'}`);
    writeFileSync(file, withPort(example.code));
    child = spawn(process.execPath, [...(options.nodeArgs ?? ['--import', 'tsx']), file], {
      cwd: options.cwd ?? dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const where = `${relative(process.cwd(), example.readme)}:${example.line}`;
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<ReadmeExampleResult>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      if (dir) rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr, where });
    });
  });
  return { child, done, out: () => stdout + stderr };
}

/** Runs one example to its end. */
export function runReadmeExample(
  example: ReadmeExample,
  options: RunReadmeExampleOptions = {},
): Promise<ReadmeExampleResult> {
  return launch(example, options).done;
}

/**
 * Starts a serving example and resolves once it printed its first line on stdout; rejects
 * with its output if it exits first.
 */
export async function startReadmeExample(
  example: ReadmeExample,
  options: RunReadmeExampleOptions = {},
): Promise<ServingReadmeExample> {
  const { child, done, out } = launch(example, options);
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (d.toString().includes('\n')) resolve();
    };
    child.stdout?.on('data', onData);
    void done.then((r) =>
      reject(new Error(`${r.where} exited with ${r.code} before it served:\n${r.stdout}${r.stderr}`)),
    );
  });
  return {
    output: out,
    stop: () => {
      child.kill('SIGTERM');
      return done;
    },
  };
}
