// The lessons' runnable examples, run as a learner runs them: every ```sh run``` block of a
// lesson, in order, typed into one learner's terminal on the real platform (a fresh namespace,
// the sandboxed shell, the real node), must succeed, and every ```sh run fails``` block must fail.
// One new learner per lesson, in the session its page opens, closed afterwards; a few lessons at
// a time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { projectRoot } from '../paths.ts';
import { GENERAL_SESSION } from '../shared/names.ts';
import { clusterDown, learnerWithShell, type Platform, type Shell, startPlatform } from '../testing/platform.ts';
import { codeBlocks } from './lesson-text.ts';
import { lessonsInOrder, loadCourse } from './load.ts';

const BLOCK_TIMEOUT_MS = 180_000;
const LESSONS_AT_ONCE = 3;

const course = await loadCourse();
const examples = lessonsInOrder(course)
  .map((lesson) => ({ lesson, blocks: codeBlocks(lesson).filter((block) => block.lang === 'sh' && block.meta[0] === 'run') }))
  .filter(({ blocks }) => blocks.length > 0);

let platform: Platform | undefined;
const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-examples-'));
before(async () => {
  platform = await startPlatform({}, stateDir);
});
after(async () => {
  await platform?.stop();
  await clusterDown(stateDir);
});

/**
 * Types a block into the shell and returns the status of its first failing command (0 when none
 * fails, as `set -e` would judge it) and what it printed. The block is sent as one `{ ...; }`
 * group, so bash has read all of it before running any of it: a command that reads the terminal
 * (`kubectl run -i`) cannot swallow the end marker. The markers are built by the shell, so the
 * echoed input never matches them.
 */
async function runBlock(shell: Shell, code: string): Promise<{ status: number; output: string }> {
  const marker = randomUUID().slice(0, 8);
  const start = shell.output.length;
  const lines = [
    `{ unset __cnlab_status; trap '__cnlab_status=\${__cnlab_status:-$?}' ERR; echo "<<$((1))${marker}"`,
    ...code.split('\n'),
    `trap - ERR; echo "${marker}$((2))>> \${__cnlab_status:-0}"; }`,
  ];
  shell.send({ type: 'data', data: `${lines.join('\r')}\r` });
  const pattern = new RegExp(`<<1${marker}([\\s\\S]*?)${marker}2>> (\\d+)`);
  await shell.waitFor(() => pattern.test(shell.output.slice(start)), `the end of the block`, BLOCK_TIMEOUT_MS);
  const [, output = '', status = ''] = pattern.exec(shell.output.slice(start)) ?? [];
  return { status: Number(status), output: output.replace(/\r/g, '').trim() };
}

test('every runnable example in a lesson runs in a learner\'s terminal with the exit status it is marked with', { timeout: 30 * 60_000 }, async (context) => {
  assert.ok(examples.length >= 10, `found runnable examples in ${examples.length} lessons`);
  const server = platform;
  assert.ok(server, 'the platform started');
  const queue = [...examples];
  const failures: string[] = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { lesson, blocks } = next;
      // The session the lesson page opens: its lab's (with the lab's setup objects), or the general one.
      const { id, learner, shell } = await learnerWithShell(server, lesson.labs[0] ?? GENERAL_SESSION);
      try {
        for (const block of blocks) {
          const fails = block.meta.includes('fails');
          const { status, output } = await runBlock(shell, block.code);
          if (fails !== (status !== 0)) {
            failures.push(`${relative(projectRoot, lesson.file)}:${block.line}: exited ${status}, ${fails ? 'marked `sh run fails`' : 'expected 0'}\n$ ${block.code.replaceAll('\n', '\n  ')}\n${output.slice(-3000)}`);
            break;
          }
        }
      } finally {
        shell.close();
        await fetch(`${server.url}/api/sessions/${id}`, { method: 'DELETE', headers: { cookie: learner.cookie, origin: server.origin } });
      }
      context.diagnostic(`${lesson.slug}: ${blocks.length} blocks`);
    }
  };
  await Promise.all(Array.from({ length: LESSONS_AT_ONCE }, worker));
  assert.deepEqual(failures, []);
});
