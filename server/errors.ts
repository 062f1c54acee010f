// An error the user can act on: what happened, and what to do about it.
export class CnlabError extends Error {
  readonly hint: string | undefined;

  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CnlabError';
    this.hint = hint;
  }
}
