import { join } from 'node:path';
import { CnlabError } from './errors.ts';
import { run, tail } from './exec.ts';
import { setting } from './settings.ts';

/** A Go toolchain: its binary and the environment builds run it in. */
export type Go = { bin: string; env: NodeJS.ProcessEnv };

// Go's own installer puts it here, and a shell that never read the login profile lacks it on PATH.
const GO_INSTALL_DIR = '/usr/local/go/bin';

/**
 * The Go that cnlab builds with: CNLAB_GO if set, else `go` on PATH, else Go's install folder.
 * `purpose` completes the error a machine without Go gets.
 */
export async function findGo(purpose: string): Promise<Go> {
  const chosen = setting('CNLAB_GO');
  // Static binaries: they run the same on every Linux, and no C toolchain is needed.
  const env: NodeJS.ProcessEnv = { ...process.env, CGO_ENABLED: '0' };
  for (const bin of chosen ? [chosen] : ['go', join(GO_INSTALL_DIR, 'go')]) {
    let version;
    try {
      version = await run(bin, ['env', 'GOVERSION'], { env });
    } catch {
      continue;
    }
    if (version.code !== 0) throw new CnlabError(`\`${bin} env\` failed:\n${tail(version.stderr)}`);
    return { bin, env };
  }
  throw new CnlabError(
    chosen ? `CNLAB_GO="${chosen}" cannot be run, and ${purpose}` : `Go is not installed, and ${purpose}`,
    'install Go 1.26 or newer and put `go` on PATH (or name it in CNLAB_GO), or choose another provider with --provider kind|kubeconfig',
  );
}
