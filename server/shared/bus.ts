// A typed publish/subscribe bus: each event names its payload's type, and `on` hands back the
// way to stop listening. Parts of the platform talk through one when the speaker must not know
// who listens (the grader does not know the HTTP layer; sessions do not know the grader).

export type Bus<Events extends Record<string, unknown>> = {
  /** Calls `handler` with every payload of `event` from now on; the result unsubscribes. */
  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): () => void;
  /** Hands `payload` to every current listener of `event`, in the order they subscribed. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void;
};

export function createBus<Events extends Record<string, unknown>>(): Bus<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  return {
    on(event, handler) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(handler);
      return () => void set.delete(handler);
    },
    emit(event, payload) {
      for (const handler of [...(listeners.get(event) ?? [])]) (handler as (value: typeof payload) => void)(payload);
    },
  };
}
