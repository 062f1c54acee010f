import { homedir } from 'node:os';
import { join } from 'node:path';

// Binaries are large and rebuildable, so they live in the user's cache directory;
// cluster state (etcd data, PKI, admin kubeconfig) is not, so it lives in the state directory.
function xdg(variable: string, fallback: string[]): string {
  const fromEnv = process.env[variable];
  return fromEnv && fromEnv.startsWith('/') ? fromEnv : join(homedir(), ...fallback);
}

export function cacheDir(): string {
  return process.env.CNLAB_CACHE_DIR ?? join(xdg('XDG_CACHE_HOME', ['.cache']), 'cnlab');
}

export function stateDir(): string {
  return process.env.CNLAB_STATE_DIR ?? join(xdg('XDG_STATE_HOME', ['.local', 'state']), 'cnlab');
}

export const projectRoot = join(import.meta.dirname, '..');
