import type { LabResult } from './grades.ts';

// The terminal protocol, declared once for the server (server/http/terminal-socket.ts), the
// page's scripts (src/terminal/, src/labs/, src/workshop/) and the tests (server/testing/).
// It ships to the browser, so it holds types and constants only.
//
// The WebSocket /api/sessions/:id/terminal carries one JSON object per text frame:
//
//   browser -> server   {"type":"data","data":"ls\r"}          keystrokes or a paste
//                       {"type":"resize","cols":120,"rows":40}  the terminal's size in cells
//                       {"type":"ping","id":7}                   liveness; answered by pong
//   server -> browser   {"type":"attached","namespace":"lab-…"} first frame; the scrollback follows as data
//                       {"type":"data","data":"…"}               shell output
//                       {"type":"pong","id":7}
//                       {"type":"error","message":"…"}           a frame was refused; the shell goes on
//                       {"type":"exit","reason":"…"}             the shell is gone; the socket closes
//                       {"type":"progress","result":{…}}         the lab was graded again (a LabResult)
//                       {"type":"ungraded","message":"…"}        an automatic grading could not reach the cluster
//                       {"type":"notice","message":"…"}          why the cluster refused a command just shown (once per kind)
//
// An instructor's read-only view (GET /api/workshops/:code/learners/:ref/terminal) speaks the
// same server -> browser frames after its first frame, {"type":"auth","token":"…"}; any input
// it sends is refused, and a refused token closes the socket with INSTRUCTOR_REFUSED.
//
// Frames over MAX_FRAME_BYTES close the socket (ws code 1009). Anything else malformed is answered
// with an error frame and dropped.

export type ClientFrame =
  | { type: 'data'; data: string }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'ping'; id?: number | string | undefined };

/** The first frame of an instructor's watch socket. */
export type AuthFrame = { type: 'auth'; token: string };

export type ServerFrame =
  | { type: 'attached'; namespace: string }
  | { type: 'data'; data: string }
  | { type: 'pong'; id?: number | string | undefined }
  | { type: 'error'; message: string }
  | { type: 'exit'; reason: string }
  | { type: 'progress'; result: LabResult }
  | { type: 'ungraded'; message: string }
  | { type: 'notice'; message: string };

export const MAX_FRAME_BYTES = 1024 * 1024;
/** The largest terminal a resize may ask for. */
export const TERMINAL_LIMITS = { cols: 500, rows: 200 } as const;
/** The close code of a watch socket whose instructor token was refused. */
export const INSTRUCTOR_REFUSED = 4401;

/**
 * The page's own events, on `window`: how the terminal panel, the lab panel and the lessons' Run
 * buttons talk to each other without knowing about each other.
 */
export type PageEvents = {
  /** The terminal opened the learner's session for a lab: that lab's panel reuses it. */
  'cnlab:session': { id: string; namespace: string; lab: string };
  /** The learner ended a session (from "Your sessions"): whatever holds it lets it go. */
  'cnlab:session-ended': { id: string };
  /** The server graded the lab again (a `progress` frame). */
  'cnlab:progress': LabResult;
  /** An automatic grading could not reach the cluster (an `ungraded` frame): the message. */
  'cnlab:ungraded': string;
  /** A Run button was pressed: the command, for the terminal to open and type. */
  'cnlab:run': string;
  /** Type this command into the open terminal. */
  'cnlab:type': string;
};

export function dispatchPageEvent<K extends keyof PageEvents>(name: K, detail: PageEvents[K]): void {
  window.dispatchEvent(new CustomEvent(name, { detail }));
}

/** Listens to a page event; the result stops listening. */
export function onPageEvent<K extends keyof PageEvents>(name: K, handler: (detail: PageEvents[K]) => void): () => void {
  const listener = (event: Event) => handler((event as CustomEvent<PageEvents[K]>).detail);
  window.addEventListener(name, listener);
  return () => window.removeEventListener(name, listener);
}
