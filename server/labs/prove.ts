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
  solved: LabResult | undefined;
  error?: string;
  seconds: number;
};

const SOLVE_TIMEOUT_MS = 120_000;
/** Rollouts and kwok's pod lifecycle settle shortly after kubectl returns: grade until they do. */
const SETTLE_TIMEOUT_MS = 30_000;

/** Types a script into the shell as a learner would, and resolves with its exit code. */
function runInShell(terminal: Terminal, script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const marker = /cnlab-solution-exit-42=(\d+)/;
    const client = {
      send(data: string) {
        output = (output + data).slice(-4096);
        const match = marker.exec(output);
        if (match) finish(() => resolve(Number(match[1])));
      },
      buffered: () => 0,
      ended: () => finish(() => reject(new Error('the shell ended while the solution ran'))),
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`solution.sh did not finish within ${SOLVE_TIMEOUT_MS / 1000}s`))), SOLVE_TIMEOUT_MS);
    function finish(settle: () => void) {
      clearTimeout(timer);
      terminal.detach(client);
      settle();
    }
    terminal.attach(client);
    // A quoted heredoc: the shell reads the script verbatim; the exit marker is computed by the
    // shell, so the echoed input never matches it.
    terminal.write(`bash -e <<'CNLAB_SOLUTION_END'\r${script.replace(/\n/g, '\r')}\rCNLAB_SOLUTION_END\recho "cnlab-solution-exit-$((40+2))=$?"\r`);
  });
}

async function gradeUntil(kc: KubeConfig, lab: Lab, namespace: string): Promise<LabResult> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const result = await gradeLab(kc, lab, namespace);
    if (result.passed || Date.now() > deadline) return result;
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
    proof.solutionExit = await runInShell(session.terminal, lab.solution);
    proof.solved = await gradeUntil(kc, lab, session.namespace);
  } catch (error) {
    proof.error = (error as Error).message;
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
  ]);
  return [line(header), ...rows.map(line), ...(details.length > 0 ? ['', ...details] : [])].join('\n');
}
