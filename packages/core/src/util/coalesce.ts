/**
 * Wraps an async check so it never runs twice at once: a call made while it runs makes it
 * run once more afterwards, so no trigger is lost. Errors go to `onError`.
 */
export function coalesce(fn: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    try {
      do {
        again = false;
        await fn();
      } while (again);
    } catch (error) {
      onError(error);
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}
