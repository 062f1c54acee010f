// A hung API server (it accepts connections and never answers) must not hang a grading, nor the
// learner waiting for it: every call a grading makes has this long.
export const API_TIMEOUT_MS = 10_000;

/** `work`, or an error once API_TIMEOUT_MS have passed without its answer. */
export function withinDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  const signal = AbortSignal.timeout(API_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error(`${what}: the API server did not answer within ${API_TIMEOUT_MS / 1000} s`)), { once: true });
    work.then(resolve, reject);
  });
}
