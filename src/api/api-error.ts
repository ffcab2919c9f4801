/** An error the API answers with as `{code, message}` (message in Chinese) and the given status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Not found, or not the asker's to see: the same answer, so that ids reveal nothing about other units. */
export function notFound(what: string): ApiError {
  return new ApiError(404, 'not_found', `没有${what}`);
}
