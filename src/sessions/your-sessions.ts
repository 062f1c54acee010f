// "Your sessions": the learner's open sessions with an End button each, on the progress page and
// in the terminal's menu. The element with data-current marks the session of the page it is on.
import { onPageEvent } from '../../server/shared/terminal-protocol.ts';
import { clock, endSession, listSessions, type SessionSummary } from '../terminal/session.ts';
import './sessions.css';

function row(session: SessionSummary, current: boolean): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset.session = session.id;
  const what = document.createElement('span');
  const title = document.createElement('strong');
  title.textContent = session.title;
  const namespace = document.createElement('code');
  namespace.textContent = session.namespace;
  what.append(title, ' ', namespace, current ? ' (this page)' : '');
  const when = document.createElement('span');
  when.className = 'when';
  when.textContent = `opened ${clock(session.openedAt)} · last used ${clock(session.lastInputAt)}`;
  const end = document.createElement('button');
  end.type = 'button';
  end.textContent = 'End';
  end.title = `End this session: its shell stops and namespace ${session.namespace} is deleted (your progress stays)`;
  end.addEventListener('click', () => {
    if (!window.confirm(`End “${session.title}”? Its shell stops and everything in namespace ${session.namespace} is deleted. Your progress stays.`)) return;
    end.disabled = true;
    endSession(session.id).catch((error: unknown) => {
      end.disabled = false;
      item.append(` ${(error as Error).message}`);
    });
  });
  item.append(what, when, end);
  return item;
}

export class YourSessions extends HTMLElement {
  #stop: Array<() => void> = [];

  connectedCallback(): void {
    const refresh = () => void this.render();
    this.#stop = [onPageEvent('cnlab:session', refresh), onPageEvent('cnlab:session-ended', refresh)];
    refresh();
  }

  disconnectedCallback(): void {
    for (const stop of this.#stop) stop();
  }

  async render(): Promise<void> {
    let sessions: SessionSummary[];
    try {
      sessions = await listSessions();
    } catch (error) {
      this.replaceChildren((error as Error).message);
      return;
    }
    if (sessions.length === 0) {
      this.replaceChildren('No open sessions: a lesson or lab starts one when you open its terminal.');
      return;
    }
    const list = document.createElement('ul');
    list.append(...sessions.map((session) => row(session, session.id === this.dataset.current)));
    this.replaceChildren(list);
  }
}

if (!customElements.get('your-sessions')) customElements.define('your-sessions', YourSessions);
