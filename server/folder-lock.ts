import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CnlabError } from './errors.ts';

// A folder one process owns while it runs: a lock file beside it holds the owner's pid. A lock
// whose process is gone (a crash, a kill -9) is taken over; a live one is an error naming it.

export type FolderLock = { release(): void };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Takes `folder` for this process, or says which process has it and how to use another folder. */
export function lockFolder(folder: string, what: string): FolderLock {
  const file = `${folder}.lock`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return {
        release: () => {
          // Only our own lock: a stale one taken over by another process is theirs now.
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      throw new CnlabError(
        `${what} ${folder} is in use by another cnlab process (pid ${holder})`,
        `stop that process first, or give this one a state folder of its own: CNLAB_STATE_DIR=/tmp/cnlab-other <command> (if pid ${holder} is not cnlab, remove ${file})`,
      );
    }
    rmSync(file, { force: true });
  }
}
