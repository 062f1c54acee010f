import { homedir } from 'node:os';
import { join } from 'node:path';
import { setting } from './settings.ts';

// Binaries are large and rebuildable, so they live in the user's cache directory;
// cluster state (etcd data, PKI, admin kubeconfig) is not, so it lives in the state directory.
function xdg(variable: 'XDG_CACHE_HOME' | 'XDG_STATE_HOME', fallback: string[]): string {
  const fromEnv = setting(variable);
  return fromEnv && fromEnv.startsWith('/') ? fromEnv : join(homedir(), ...fallback);
}

export function cacheDir(): string {
  return setting('CNLAB_CACHE_DIR') ?? join(xdg('XDG_CACHE_HOME', ['.cache']), 'cnlab');
}

export function stateDir(): string {
  return setting('CNLAB_STATE_DIR') ?? join(xdg('XDG_STATE_HOME', ['.local', 'state']), 'cnlab');
}

export const projectRoot = join(import.meta.dirname, '..');
