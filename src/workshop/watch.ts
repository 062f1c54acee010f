// The instructor's read-only view of a learner's terminal. Loaded when an instructor first
// watches someone, so the dashboard itself stays light.
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { type AuthFrame, INSTRUCTOR_REFUSED, type ServerFrame } from '../../server/shared/terminal-protocol.ts';

export type Watcher = { stop(): void };

/** Connects to a learner's terminal as its instructor and draws what it prints. */
export function watchTerminal(host: HTMLElement, url: URL, token: string): Watcher {
  const term = new Terminal({ disableStdin: true, rows: 20, fontSize: 13 });
  term.open(host);
  const note = (text: string) => term.write(`\r\n\x1b[33m[cnlab] ${text}\x1b[0m\r\n`);
  const socket = new WebSocket(url);
  socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'auth', token } satisfies AuthFrame)));
  socket.addEventListener('message', (event) => {
    const frame = JSON.parse(String(event.data)) as ServerFrame;
    if (frame.type === 'data') term.write(frame.data);
    if (frame.type === 'exit') note(frame.reason || 'the terminal ended');
  });
  socket.addEventListener('close', (event) => {
    if (event.code === INSTRUCTOR_REFUSED) note('the instructor token was refused');
  });
  return {
    stop() {
      socket.close();
      term.dispose();
    },
  };
}
