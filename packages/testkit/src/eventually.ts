/**
 * Resolves with the first defined value `probe` returns, probing every `intervalMs`. Real
 * time bounds only the failure (`timeoutMs`, generous so load never fails a correct run);
 * it never decides a pass, so a test that waits on it is not timing-dependent.
 *
 * @param what named in the timeout error ("the run to complete").
 * @param timeoutMs @default 20000
 */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 5,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
