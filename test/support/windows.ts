/**
 * The rate limits count in fixed windows aligned on the minute (every instance agrees on them
 * without asking): a test that counts answers starts well inside one, waiting for the next
 * minute when fewer than `needMs` are left of this one.
 */
export async function freshMinute(needMs = 20_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
