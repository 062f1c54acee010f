import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

// Prometheus metrics of the lab server, served at /metrics.
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'cnlab_' });

export const metrics = {
  sessionsActive: new Gauge({ name: 'cnlab_sessions_active', help: 'Learner sessions with a live shell', registers: [registry] }),
  provisionSeconds: new Histogram({
    name: 'cnlab_session_provision_seconds',
    help: 'Time from a session request to a running shell in a ready namespace',
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
    registers: [registry],
  }),
  terminalBytes: new Counter({
    name: 'cnlab_terminal_bytes_total',
    help: 'Bytes through learner terminals',
    labelNames: ['direction'] as const,
    registers: [registry],
  }),
  errors: new Counter({ name: 'cnlab_errors_total', help: 'Errors by kind', labelNames: ['kind'] as const, registers: [registry] }),
};
