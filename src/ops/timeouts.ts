export class TimeoutError extends Error {}

/**
 * Rejects with a TimeoutError when `promise` has not settled within `ms`. The work itself goes on (a query or a PING
 * cannot be called back); the caller only stops waiting for it.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`超时（${ms} 毫秒内无响应）`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether `promise` settled, either way, within `ms`. A rejection counts as settled and is not rethrown. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(promise, ms);
    return true;
  } catch (err) {
    return !(err instanceof TimeoutError);
  }
}
