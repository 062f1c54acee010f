import type { FastifyInstance, FastifyRequest } from 'fastify';

// DNS rebinding: a web page on an attacker's name that later resolves to 127.0.0.1 reaches this
// server as "same origin", with the attacker's name in Host and Origin. So the server answers
// only to the names it is known by (the loopback names on its port, the listening address, the
// public URL's host), and browser requests that change something, and every terminal socket,
// must come from a page served under one of those names.

export type Listening = { host: string; port: number };

export type HostAllowList = {
  /** Host headers accepted, as `URL.host` spells them (lower case, no default port). */
  hosts: ReadonlySet<string>;
  /** Origins accepted, as `URL.origin` spells them. */
  origins: ReadonlySet<string>;
};

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

const bracketed = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** The names this server answers to: loopback on its port, its listening address, the public URL. */
export function hostAllowList(listening: Listening, publicUrl?: string): HostAllowList {
  const names = [...LOOPBACK_NAMES];
  const address = bracketed(listening.host.toLowerCase());
  if (!WILDCARDS.has(address) && !names.includes(address)) names.push(address);
  const hosts = new Set<string>();
  const origins = new Set<string>();
  for (const name of names) {
    for (const scheme of ['http', 'https']) {
      const url = new URL(`${scheme}://${name}:${listening.port}`);
      hosts.add(url.host);
      origins.add(url.origin);
    }
  }
  if (publicUrl) {
    const url = new URL(publicUrl);
    hosts.add(url.host);
    origins.add(url.origin);
  }
  return { hosts, origins };
}

/** Whether a Host header names this server. */
export function hostAllowed(host: string | undefined, allow: HostAllowList): boolean {
  // host[:port] only: no path, credentials or whitespace to smuggle past the URL parser.
  if (!host || /[/@?#\\\s]/.test(host)) return false;
  try {
    return allow.hosts.has(new URL(`http://${host}`).host);
  } catch {
    return false;
  }
}

/** Whether an Origin header is one of this server's own pages. */
export function originAllowed(origin: string | undefined, allow: HostAllowList): boolean {
  if (!origin) return false;
  try {
    return allow.origins.has(new URL(origin).origin);
  } catch {
    return false;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const isUpgrade = (request: FastifyRequest) => request.headers.upgrade?.toLowerCase() === 'websocket';

/**
 * Refuses, before any route runs, a request whose Host is not this server's (421), a browser's
 * state-changing request from another origin (403), and a WebSocket from anywhere but this
 * server's pages (403). Requests without an Origin (scripts, the grading API's clients) are not
 * a browser's and carry no learner's ambient authority, so only their Host is checked.
 */
export function registerHostGuard(app: FastifyInstance, allow: HostAllowList): void {
  const known = [...allow.hosts].join(', ');
  app.addHook('onRequest', async (request, reply) => {
    // The raw header, never X-Forwarded-Host: a page on a rebound name could send that too.
    if (!hostAllowed(request.headers.host, allow)) {
      return reply.code(421).send({
        error: `this server answers only to ${known}; "${request.headers.host ?? ''}" is not one of them (set CNLAB_PUBLIC_URL to the address learners use)`,
      });
    }
    const origin = request.headers.origin;
    if (isUpgrade(request) && !originAllowed(origin, allow)) {
      return reply.code(403).send({ error: "terminal connections are accepted only from this site's own pages" });
    }
    if (STATE_CHANGING.has(request.method) && origin !== undefined && !originAllowed(origin, allow)) {
      return reply.code(403).send({ error: `requests that change something are accepted only from this site's own pages, not from ${origin}` });
    }
  });
}
