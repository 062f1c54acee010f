import { performance } from 'node:perf_hooks';

export type Steps = {
  /** Runs one phase of a longer job, printing its name and how long it took. */
  step<T>(label: string, run: () => Promise<T>): Promise<T>;
  info(message: string): void;
  /** Seconds since this reporter was created. */
  elapsed(): number;
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function createSteps(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Steps {
  const started = performance.now();
  const stamp = () => `[${seconds(performance.now() - started).padStart(7)}]`;
  return {
    async step(label, run) {
      const begun = performance.now();
      write(`${stamp()} ${label} ...`);
      const result = await run();
      write(`${stamp()} ${label}: done in ${seconds(performance.now() - begun)}`);
      return result;
    },
    info(message) {
      write(`${stamp()} ${message}`);
    },
    elapsed: () => (performance.now() - started) / 1000,
  };
}
