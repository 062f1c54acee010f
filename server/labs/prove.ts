import type { KubeConfig } from '@kubernetes/client-node';
import type { Session, SessionManager } from '../sessions/manager.ts';
import type { Terminal } from '../sessions/terminal.ts';
import type { LabResult } from '../shared/grades.ts';
import { gradeLab } from './grade.ts';
import type { Lab } from './load.ts';

// `cnlab labs test`: every lab proven solvable by a learner, and not solved before they start.
// Each lab gets a fresh session exactly as a learner would (namespace, RBAC, setup objects); the
// untouched lab must fail its checks, then solution.sh is typed into the learner's sandboxed
// shell, with the learner's token, and every check must pass.

export type LabProof = {
  lab: string;
  /** Tasks that passed before the solution ran although they did not declare satisfiedAtStart. */
  passedTooEarly: string[];
  /** Tasks declared satisfiedAtStart that did not pass at the start. */
  notSatisfiedAtStart: string[];
  solutionExit: number | undefined;
  /** The last lines solution.sh printed (stdout and stderr), when the proof failed. */
  solutionOutput?: string[];
  solved: LabResult | undefined;
  error?: string;
  seconds: number;
};

/** How much of a failing solution's output the proof keeps: enough to see the failing command. */
const OUTPUT_LINES = 40;

// The solution's output is what the shell prints between two markers the shell itself computes
// ($((40+2))), so the echo of the typed script never matches them.
const START = 'cnlab-solution-start-42';
const EXIT = /cnlab-solution-exit-42=(\d+)/;

/** Terminal output as lines of text: colours, cursor moves and carriage returns taken out. */
function plainLines(output: string): string[] {
  return output
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '')
    .split(/\r?\n/)
    .map((line) => line.replace(/^.*\r(?!$)/, '').replace(/\r$/, ''));
}

type ShellRun = { exit: number; output: string[] };

/** A solution that never finished, with what it printed until then. */
class SolutionError extends Error {
  readonly output: string[];
  constructor(message: string, output: string[]) {
    super(message);
    this.output = output;
  }
}

/** The last lines of what the solution printed; the echo of the typed exit line left out. */
function printed(output: string): string[] {
  const lines = plainLines(output).filter((line) => !line.includes('cnlab-solution-exit-$((40+2))'));
  while (lines.length > 0 && lines.at(-1)?.trim() === '') lines.pop();
  while (lines.length > 0 && lines[0]?.trim() === '') lines.shift();
  return lines.slice(-OUTPUT_LINES);
}

/**
 * Types a script into the shell as a learner would, under `bash -e` (labs/README.md, "Proofs"),
 * and resolves with its exit code and what it printed.
 */
function runInShell(terminal: Terminal, script: string, timeoutMs: number): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    // Everything since the start marker (bounded), or the last of what came before it.
    let output = '';
    let started = false;
    const client = {
      send(data: string) {
        output += data;
        if (!started) {
          const at = output.indexOf(START);
          if (at >= 0) {
            started = true;
            output = output.slice(at + START.length);
          } else output = output.slice(-START.length * 2);
        }
        if (!started) return;
        if (output.length > 256 * 1024) output = output.slice(-128 * 1024);
        const match = EXIT.exec(output);
        if (match) finish(() => resolve({ exit: Number(match[1]), output: printed(output.slice(0, match.index)) }));
      },
      buffered: () => 0,
      ended: () => finish(() => reject(new SolutionError('the shell ended while the solution ran', printed(output)))),
    };
    const timer = setTimeout(() => finish(() => reject(new SolutionError(`solution.sh did not finish within ${timeoutMs / 1000}s`, printed(output)))), timeoutMs);
    function finish(settle: () => void) {
      clearTimeout(timer);
      terminal.detach(client);
      settle();
    }
    terminal.attach(client);
    // A quoted heredoc: the shell reads the script verbatim, all of it before it runs any.
    const body = [`echo "cnlab-solution-start-$((40+2))"`, ...script.split('\n')].join('\r');
    terminal.write(`bash -e <<'CNLAB_SOLUTION_END'\r${body}\rCNLAB_SOLUTION_END\recho "cnlab-solution-exit-$((40+2))=$?"\r`);
  });
}

async function gradeUntil(kc: KubeConfig, lab: Lab, namespace: string): Promise<LabResult> {
  const deadline = Date.now() + lab.definition.proof.settleSeconds * 1000;
  for (;;) {
    const result = await gradeLab(kc, lab, namespace);
    if (result.passed || Date.now() >= deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function proveLab(kc: KubeConfig, sessions: SessionManager, lab: Lab): Promise<LabProof> {
  const started = performance.now();
  const id = lab.definition.id;
  const proof: LabProof = { lab: id, passedTooEarly: [], notSatisfiedAtStart: [], solutionExit: undefined, solved: undefined, seconds: 0 };
  let session: Session | undefined;
  try {
    session = await sessions.open(`labs-test:${id}`, id);
    const before = await gradeLab(kc, lab, session.namespace);
    for (const task of lab.definition.tasks) {
      const passed = before.tasks.find((result) => result.id === task.id)?.passed ?? false;
      if (passed && !task.satisfiedAtStart) proof.passedTooEarly.push(task.id);
      if (!passed && task.satisfiedAtStart) proof.notSatisfiedAtStart.push(task.id);
    }
    const run = await runInShell(session.terminal, lab.solution, lab.definition.proof.timeoutSeconds * 1000);
    proof.solutionExit = run.exit;
    proof.solved = await gradeUntil(kc, lab, session.namespace);
    if (!proofPassed(proof)) proof.solutionOutput = run.output;
  } catch (error) {
    proof.error = (error as Error).message;
    if (error instanceof SolutionError) proof.solutionOutput = error.output;
  } finally {
    if (session) await sessions.close(session.id, 'labs test finished');
    proof.seconds = (performance.now() - started) / 1000;
  }
  return proof;
}

export const proofPassed = (proof: LabProof) =>
  !proof.error && proof.passedTooEarly.length === 0 && proof.notSatisfiedAtStart.length === 0 && proof.solutionExit === 0 && proof.solved?.passed === true;

/** The table `cnlab labs test` prints, and the failing checks under it. */
export function formatProofs(proofs: LabProof[]): string {
  const rows = proofs.map((proof) => [
    proof.lab,
    proof.passedTooEarly.length === 0 && proof.notSatisfiedAtStart.length === 0 ? 'fails' : `passes too early: ${[...proof.passedTooEarly, ...proof.notSatisfiedAtStart].join(', ')}`,
    proof.solutionExit === undefined ? '-' : `exit ${proof.solutionExit}`,
    proof.solved?.passed ? 'passes' : 'FAILS',
    `${proof.seconds.toFixed(1)}s`,
    proofPassed(proof) ? 'ok' : 'FAILED',
  ]);
  const header = ['lab', 'untouched', 'solution.sh', 'solved', 'time', 'result'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const details = proofs.flatMap((proof) => [
    ...(proof.error ? [`${proof.lab}: ${proof.error}`] : []),
    ...(proof.solved?.tasks ?? []).flatMap((task) => task.checks.filter((check) => !check.ok).map((check) => `${proof.lab} / ${task.id}: ${check.message}`)),
    ...(proof.solutionOutput && proof.solutionOutput.length > 0 ? [`${proof.lab}: the last ${proof.solutionOutput.length} lines solution.sh printed:`, ...proof.solutionOutput.map((line) => `  | ${line}`)] : []),
  ]);
  return [line(header), ...rows.map(line), ...(details.length > 0 ? ['', ...details] : [])].join('\n');
}
