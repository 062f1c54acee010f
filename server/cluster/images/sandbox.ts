// Runs programs inside an image's root file system before it is published: its catalogue checks,
// so an image that cannot start its program or reports another version never reaches a cluster,
// and the image's own busybox (a trixie binary may not run on an older host's libc outside it).
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { CnlabError } from '../../errors.ts';
import type { CatalogueImage, ImageCheck, ImageConfig } from './catalogue.ts';

const TIMEOUT_MS = 60_000;

/**
 * bubblewrap gives the program the image as /, with no network, process or IPC sharing with the
 * host; everything it started dies with it. As root no user namespace is made, so a check may
 * switch users (gosu, nginx's workers) as the image would. `mounts` adds /dev, /proc and /tmp,
 * whose mount points bubblewrap creates in the image: only after its layer is written.
 */
function sandbox(root: string, config: ImageConfig, mounts: boolean): string[] {
  const env = (config.Env ?? []).flatMap((pair) => {
    const at = pair.indexOf('=');
    return ['--setenv', pair.slice(0, at), pair.slice(at + 1)];
  });
  return [
    '--bind', root, '/',
    ...(mounts ? ['--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'] : []),
    ...(process.getuid?.() === 0 ? [] : ['--unshare-user', '--uid', '0', '--gid', '0']),
    '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts',
    '--die-with-parent',
    '--clearenv',
    '--setenv', 'HOME', '/root',
    ...env,
    '--chdir', config.WorkingDir ?? '/',
    '--',
  ];
}

/**
 * The check's output goes to a file, not a pipe: Node's pipes are sockets, and a program that
 * opens /dev/stdout (nginx's log links) cannot open a socket that way, though it can a
 * container runtime's FIFO or a file.
 */
export async function runInImage(root: string, config: ImageConfig, command: string[], outputFile: string, mounts = true): Promise<{ code: number; output: string }> {
  const out = await open(outputFile, 'w');
  try {
    const child = spawn('bwrap', [...sandbox(root, config, mounts), ...command], { stdio: ['ignore', out.fd, out.fd] });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', () => reject(new CnlabError('bwrap cannot be run: the images are checked inside it before they are published', 'install it: sudo apt-get install bubblewrap')));
      child.on('close', (exit, signal) => resolve(exit ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
    });
    clearTimeout(timer);
    return { code, output: await readFile(outputFile, 'utf8') };
  } finally {
    await out.close();
  }
}

export async function runCheck(root: string, image: CatalogueImage, check: ImageCheck, outputFile: string): Promise<void> {
  const result = await runInImage(root, image.config, check.run, outputFile);
  if (result.code === check.exit && new RegExp(check.expect).test(result.output)) return;
  throw new CnlabError(
    `${image.references[0]}: the check \`${check.run.join(' ')}\` ended with ${result.code} (expected ${check.exit}) and printed:\n${result.output.trimEnd() || '(nothing)'}\n` +
      `which should match /${check.expect}/`,
    'the image does not work as the catalogue says: fix its files or packages in server/cluster/images/catalogue.yaml (or the check, if it is wrong)',
  );
}
