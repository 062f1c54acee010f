import { spawn } from 'node:child_process';

export type RunResult = { code: number; stdout: string; stderr: string };

export type RunOptions = {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Called with each line of output as it arrives, for long builds the user should see moving. */
  onLine?: (line: string) => void;
};

/**
 * Runs a program without a shell and collects its output. Resolves with the exit code
 * rather than throwing, because callers turn failures into messages of their own.
 * A program that cannot be started at all (ENOENT) rejects.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    const collect = (chunk: Buffer, into: 'stdout' | 'stderr') => {
      const text = chunk.toString();
      if (into === 'stdout') stdout += text;
      else stderr += text;
      if (options.onLine) for (const line of text.split('\n')) if (line.trim()) options.onLine(line);
    };
    child.stdout.on('data', (chunk: Buffer) => collect(chunk, 'stdout'));
    child.stderr.on('data', (chunk: Buffer) => collect(chunk, 'stderr'));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** The last lines of a failed command's output, enough to explain the failure without flooding. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
