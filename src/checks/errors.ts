/**
 * A mistake in the check itself (an unknown kind name, an invalid pattern, a missing baseline):
 * waiting will not fix it, so runCheck reports it at once instead of retrying until the timeout.
 */
export class CheckConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckConfigError';
  }
}
