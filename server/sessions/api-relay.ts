import { chmod, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';

/** The relay; `close` ends its connections too (an open `kubectl exec` or `logs -f` stream would hold a plain close forever). */
export type ApiRelay = { close(): Promise<void> };

/**
 * A Unix socket that forwards each connection, byte for byte, to the API server. Sandboxes have
 * no network of their own; this socket, bound into one session's sandbox, is its only way out,
 * and it leads to the API and nowhere else. TLS runs end to end between kubectl and the API
 * server, so the relay sees neither tokens nor requests. Each connection costs the server two
 * file descriptors, so a session holds at most `maxConnections` at once: one more is closed as
 * soon as it is accepted, and the server's descriptors stay bounded whatever the learner opens.
 */
export async function startApiRelay(socketPath: string, api: { host: string; port: number }, options: { maxConnections: number }): Promise<ApiRelay> {
  await rm(socketPath, { force: true });
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(api.port, api.host);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    }
  });
  server.maxConnections = options.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  // Sessions run as uids of their own; the folder around the socket keeps everyone else out.
  await chmod(socketPath, 0o666);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}
