/**
 * Errors that reach a user carry a stable code, a cause and a hint ("what / why / try").
 * The CLI maps codes to exit status; nothing else decides exit codes.
 */
export type ErrorCode =
  | 'E_USAGE' // bad flags or arguments
  | 'E_INPUT_UNREADABLE' // a named input file cannot be opened or read
  | 'E_INPUT_EMPTY' // nothing to read
  | 'E_NO_RECORDS' // lines were read, none of them a request (every line skipped)
  | 'E_FORMAT_UNKNOWN' // --format names no preset and is not a format string
  | 'E_FORMAT_UNDETECTED' // no format matched the first lines
  | 'E_STATE_LOCKED' // another process holds the store
  | 'E_STATE_SCHEMA' // store written by a newer version
  | 'E_STATE_IO' // store cannot be opened or written
  | 'E_NOT_FOUND' // a token/label/ip that does not exist
  | 'E_LISTEN' // a server cannot bind
  | 'E_INTERNAL';

export const exitCodeFor: Record<ErrorCode, number> = {
  E_USAGE: 2,
  E_INPUT_UNREADABLE: 2,
  E_INPUT_EMPTY: 2,
  E_NO_RECORDS: 2,
  E_FORMAT_UNKNOWN: 2,
  E_FORMAT_UNDETECTED: 2,
  E_STATE_LOCKED: 2,
  E_STATE_SCHEMA: 2,
  E_STATE_IO: 2,
  E_NOT_FOUND: 2,
  E_LISTEN: 2,
  E_INTERNAL: 3,
};

export class ReplaywatchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReplaywatchError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** One line for a person: what happened, why (the cause), and what to try. */
export function describeError(error: unknown): string {
  if (error instanceof ReplaywatchError) {
    // the message often says the cause already (stages write "cannot read X: reason")
    const causeText = error.cause instanceof Error ? error.cause.message : '';
    // a system error (ENOENT, EACCES) is already said in words by the message
    const systemError = error.cause instanceof Error && typeof (error.cause as NodeJS.ErrnoException).code === 'string' && error.code === 'E_INPUT_UNREADABLE';
    const cause = causeText && !systemError && !error.message.includes(causeText) && !causeText.includes(error.message) ? `: ${causeText}` : '';
    const hint = error.hint ? `\n  try: ${error.hint}` : '';
    return `replaywatch: ${error.message}${cause} [${error.code}]${hint}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `replaywatch: internal error: ${message} [E_INTERNAL]`;
}
