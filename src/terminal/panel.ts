import { FitAddon } from '@xterm/addon-fit';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import './panel.css';
import { type ClientFrame, dispatchPageEvent, onPageEvent, type ServerFrame } from '../../server/shared/terminal-protocol.ts';
import type { YourSessions } from '../sessions/your-sessions.ts';
import '../sessions/your-sessions.ts';
import { startSession } from './session.ts';

// The terminal panel: xterm.js beside the lesson, connected to the learner's shell over the
// WebSocket protocol declared in server/shared/terminal-protocol.ts. A dropped connection is retried;
// the server keeps the shell and replays its recent output, so nothing is lost.

type State = 'starting' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

const WIDTH_KEY = 'cnlab-terminal-width';
const PING_MS = 20_000;
const RETRY_MS = [500, 1000, 2000, 5000];
const FRAME_CHARS = 64 * 1024;
// Characters, not bytes: a paste of multi-byte text is still kept under the server's 1 MiB frames.
const MAX_PASTE_CHARS = 256 * 1024;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string>, text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.textContent = text;
  return node;
}

let current: { close(): void } | undefined;

/** Opens the panel (once per page) and connects it to the learner's session for `lab`. */
export async function openTerminalPanel(lab: string, onClose: () => void): Promise<void> {
  if (current) return;
  const session = await startSession(lab);
  dispatchPageEvent('cnlab:session', session);

  const panel = element('aside', { class: 'cnlab-terminal', 'aria-label': 'Lab terminal' });
  const handle = element('div', { class: 'cnlab-terminal__handle', role: 'separator', 'aria-orientation': 'vertical', 'aria-label': 'Resize the terminal', tabindex: '0' });
  const header = element('header', { class: 'cnlab-terminal__header' });
  const title = element('span', { class: 'cnlab-terminal__title' }, 'Terminal · namespace ');
  title.append(element('code', { 'data-namespace': '' }, session.namespace));
  const status = element('span', { class: 'cnlab-terminal__status', role: 'status', 'aria-live': 'polite', 'data-state': 'starting' }, 'starting');
  const copy = element('button', { type: 'button', title: 'Copy the selection (Ctrl+Shift+C)' }, 'Copy');
  const paste = element('button', { type: 'button', title: 'Paste (Ctrl+Shift+V)' }, 'Paste');
  const menuButton = element('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'cnlab-terminal-sessions', title: 'Your sessions: see and end them' }, 'Sessions');
  const close = element('button', { type: 'button', title: 'Hide the terminal (the shell keeps running until it idles out; end it under Sessions)' }, 'Hide');
  header.append(title, status, copy, paste, menuButton, close);
  const menu = element('section', { class: 'cnlab-terminal__menu', id: 'cnlab-terminal-sessions', 'aria-label': 'Your sessions', hidden: '' });
  const list = document.createElement('your-sessions') as YourSessions;
  list.dataset.current = session.id;
  menu.append(element('h2', {}, 'Your sessions'), list);
  const screen = element('div', { class: 'cnlab-terminal__screen' });
  // Why the cluster refused a command, in a sentence: beside the shell, never inside its screen.
  const notice = element('p', { class: 'cnlab-terminal__notice', role: 'status', 'aria-live': 'polite', hidden: '' });
  const noticeText = element('span', {});
  const dismiss = element('button', { type: 'button', 'aria-label': 'Dismiss this explanation' }, '×');
  notice.append(noticeText, dismiss);
  dismiss.addEventListener('click', () => (notice.hidden = true));
  panel.append(handle, header, menu, screen, notice);
  menuButton.addEventListener('click', () => {
    menu.hidden = !menu.hidden;
    menuButton.setAttribute('aria-expanded', String(!menu.hidden));
    // Opened: as the sessions are now ("last used" moves on).
    if (!menu.hidden) void list.render();
  });
  document.body.append(panel);

  const setWidth = (width: number) => {
    const clamped = Math.max(320, Math.min(width, window.innerWidth - 320));
    document.documentElement.style.setProperty('--cnlab-terminal-width', `${clamped}px`);
    localStorage.setItem(WIDTH_KEY, String(clamped));
  };
  setWidth(Number(localStorage.getItem(WIDTH_KEY)) || Math.round(window.innerWidth * 0.42));
  document.documentElement.classList.add('cnlab-terminal-open');

  const styles = getComputedStyle(document.documentElement);
  const term = new Terminal({
    cursorBlink: true,
    fontFamily: styles.getPropertyValue('--sl-font-mono') || 'monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: { background: '#111418', foreground: '#e6e6e6' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.loadAddon(new WebLinksAddon());
  term.open(screen);
  fit.fit();
  term.focus();

  let socket: WebSocket | undefined;
  const pendingCommands: string[] = [];
  let retries = 0;
  let ended = false;
  let ping: ReturnType<typeof setInterval> | undefined;
  const send = (message: ClientFrame) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  const setState = (state: State, text: string = state) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  const connect = () => {
    setState(retries === 0 ? 'connecting' : 'reconnecting');
    const url = new URL(`/api/sessions/${session.id}/terminal`, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(url);
    socket.addEventListener('open', () => {
      retries = 0;
      send({ type: 'resize', cols: term.cols, rows: term.rows });
      ping = setInterval(() => send({ type: 'ping' }), PING_MS);
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as ServerFrame;
      switch (message.type) {
        case 'attached':
          // The server replays the recent output next: start from a clean screen.
          term.reset();
          setState('connected');
          for (const command of pendingCommands.splice(0)) send({ type: 'data', data: command });
          break;
        case 'data':
          term.write(message.data);
          break;
        case 'error':
          term.write(`\r\n\x1b[33m[cnlab] ${message.message}\x1b[0m\r\n`);
          break;
        case 'exit':
          ended = true;
          setState('ended', 'ended');
          term.write(`\r\n\x1b[33m[cnlab] ${message.reason}\x1b[0m\r\n`);
          break;
        case 'progress':
          // The lab panel (if the page has one) shows the new grades.
          dispatchPageEvent('cnlab:progress', message.result);
          break;
        case 'ungraded':
          dispatchPageEvent('cnlab:ungraded', message.message);
          break;
        case 'notice':
          noticeText.textContent = message.message;
          notice.hidden = false;
          break;
        case 'pong':
          break;
      }
    });
    socket.addEventListener('close', () => {
      clearInterval(ping);
      if (ended) return;
      const delay = RETRY_MS[Math.min(retries, RETRY_MS.length - 1)] ?? 5000;
      retries += 1;
      setState('reconnecting', `reconnecting in ${delay / 1000}s`);
      setTimeout(connect, delay);
    });
  };
  connect();

  term.onData((data) => {
    // The server refuses frames over 1 MiB; a big paste goes in smaller frames, a huge one not at all.
    if (data.length > MAX_PASTE_CHARS) {
      term.write(`\r\n\x1b[33m[cnlab] That paste is ${Math.round(data.length / 1024)} KiB; the terminal takes at most ${MAX_PASTE_CHARS / 1024} KiB at once.\x1b[0m\r\n`);
      return;
    }
    for (let offset = 0; offset < data.length; offset += FRAME_CHARS) send({ type: 'data', data: data.slice(offset, offset + FRAME_CHARS) });
  });
  term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
  // "Run" buttons on the page type their command into this terminal.
  const stopTyping = onPageEvent('cnlab:type', (typed) => {
    const command = `${typed}\r`;
    // Before the shell is attached (the Run click that opened the terminal), hold it until then.
    if (status.dataset.state === 'connected') send({ type: 'data', data: command });
    else pendingCommands.push(command);
    term.focus();
  });
  const refit = () => fit.fit();
  const observer = new ResizeObserver(refit);
  observer.observe(screen);

  const copySelection = () => {
    const text = term.getSelection();
    if (text) void navigator.clipboard.writeText(text);
  };
  const pasteClipboard = () => void navigator.clipboard.readText().then((text) => term.paste(text));
  term.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
    if (event.code === 'KeyC') copySelection();
    else if (event.code === 'KeyV') pasteClipboard();
    else return true;
    event.preventDefault();
    return false;
  });
  copy.addEventListener('click', copySelection);
  paste.addEventListener('click', pasteClipboard);

  // Dragging the handle (or arrow keys on it) resizes the split.
  handle.addEventListener('pointerdown', (event) => {
    handle.setPointerCapture(event.pointerId);
    const move = (e: PointerEvent) => setWidth(window.innerWidth - e.clientX);
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', () => handle.removeEventListener('pointermove', move), { once: true });
  });
  handle.addEventListener('keydown', (event) => {
    const width = panel.getBoundingClientRect().width;
    if (event.key === 'ArrowLeft') setWidth(width + 40);
    if (event.key === 'ArrowRight') setWidth(width - 40);
  });

  // This page's session was ended from Your sessions (in this menu or on this page): the panel goes with it.
  // Ended elsewhere, the server closes the shell and the socket says so.
  const stopEnded = onPageEvent('cnlab:session-ended', ({ id }) => {
    if (id === session.id) current?.close();
  });

  current = {
    close() {
      stopEnded();
      ended = true;
      socket?.close();
      observer.disconnect();
      stopTyping();
      term.dispose();
      panel.remove();
      document.documentElement.classList.remove('cnlab-terminal-open');
      current = undefined;
      onClose();
    },
  };
  close.addEventListener('click', () => current?.close());
}
