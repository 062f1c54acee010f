import { join } from 'node:path';
import { loadKubeConfig } from '../cluster/health.ts';
import { ensureToolchain } from '../cluster/local/toolchain.ts';
import type { ClusterAccess } from '../cluster/provider.ts';
import { type Lab, loadLabs } from '../labs/load.ts';
import { type AutoGrader, autoGrader } from '../labs/auto-grader.ts';
import { logger } from '../log.ts';
import { stateDir } from '../paths.ts';
import type { Steps } from '../steps.ts';
import { SessionManager } from './manager.ts';
import { defaultLimits } from './sandbox.ts';
import type { ProgressStore } from '../store/store.ts';
import { sessionSettings } from './settings.ts';

/** The session manager for a cluster, as the server and `cnlab labs test` both run it. */
export async function sessionManagerFor(
  access: ClusterAccess,
  steps: Steps,
  store: ProgressStore,
): Promise<{ sessions: SessionManager; grader: AutoGrader; labs: ReadonlyMap<string, Lab> }> {
  // Learner shells run the kubectl the local provider builds, whichever provider serves the API.
  const toolchain = await ensureToolchain(steps);
  const kc = loadKubeConfig(access);
  const labs = new Map((await loadLabs()).map((lab) => [lab.definition.id, lab]));
  const sessions = new SessionManager({
    kc,
    kubectl: toolchain.kubectl,
    dir: join(stateDir(), 'sessions'),
    settings: sessionSettings(),
    limits: defaultLimits,
    logger,
    labSetup: (lab) => labs.get(lab)?.setup,
  });
  const grader = autoGrader(kc, labs, store, logger, sessions.events);
  await steps.step('prepare learner sessions (reconcile namespaces, check the sandbox)', () => sessions.start());
  return { sessions, grader, labs };
}
