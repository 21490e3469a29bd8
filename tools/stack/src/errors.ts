/**
 * A failure of the local stack that the user can fix, reported as its one-line message without a
 * stack trace.
 */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}
