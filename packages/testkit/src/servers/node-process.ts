import { type ChildProcess, spawn } from 'node:child_process';

/** Options of {@link startNodeProcess}. */
export interface NodeProcessOptions {
  /** The script to run (e.g. a gateway's `main.ts`, with a loader in `nodeArgs`). */
  entry: string;
  args?: string[];
  /** Working directory (e.g. a fresh temporary folder the process keeps its data in). */
  cwd: string;
  /** Added to the environment. */
  env?: Record<string, string>;
  /** Node options before the entry, e.g. `['--import', 'tsx']`. @default [] */
  nodeArgs?: string[];
  /**
   * Resolves once the output (stdout and stderr) matches. @default the gateway's banner,
   * `llmteam gateway: http://`
   */
  ready?: RegExp;
  /** Rejects when not ready by then. @default 30000 */
  timeoutMs?: number;
}

/** A started process: its output so far, and ways to end it. */
export interface NodeProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code (null when killed by it). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a Node script as a child process, as a user would start a server (`pnpm start`,
 * `llmteam serve`), and resolves once it says it is ready; rejects with its output if it
 * exits or times out first. For end-to-end tests that restart or kill a real server.
 */
export async function startNodeProcess(options: NodeProcessOptions): Promise<NodeProcess> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), options.entry, ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const ready = options.ready ?? /llmteam gateway: http:\/\//;
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.entry} was not ready after ${options.timeoutMs ?? 30_000} ms:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.entry} exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
