// An error the user can act on: what happened, and what to do about it.
export class CnlabError extends Error {
  readonly hint: string | undefined;
  /** The CLI's exit code for this error: 1 unless a command documents another. */
  readonly exitCode: number;

  constructor(message: string, hint?: string, options?: ErrorOptions & { exitCode?: number }) {
    super(message, options);
    this.name = 'CnlabError';
    this.hint = hint;
    this.exitCode = options?.exitCode ?? 1;
  }
}
