import type { IdentityEvents } from '../model/events.js';
import { isRetryableConflict } from './errors.js';

/** Attempts after the first for a write that lost a race (a deadlock, a Galera certification failure). */
export const CONFLICT_RETRIES = 8;

/**
 * Runs `attempt` again when it lost a race that rolled it back whole (isRetryableConflict), up to
 * CONFLICT_RETRIES times after a short jittered pause, so that the client (Entra) sees a 503 only
 * once the retries are spent. Only for work whose whole effect is in the rolled-back
 * transaction or statement: events are held until commit and nothing else is written outside it.
 * Each conflict is reported as `database.conflict` (counted in the log and by metrics).
 */
export async function retryConflicts<T>(events: IdentityEvents, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryableConflict(error)) throw error;
      const retried = n <= CONFLICT_RETRIES;
      events.emit('database.conflict', {
        attempt: n,
        retried,
        code: String((error as { code?: string }).code ?? 'unknown'),
      });
      if (!retried) throw error;
      // 4–12 ms, doubling to 200–600 ms (under 2.5 s in all, inside the SCIM database deadline):
      // on a hot row (a group Entra adds members to from several threads, on two nodes) the
      // losers spread out instead of colliding again.
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** (n + 1), 200) * (1 + 2 * Math.random())));
    }
  }
}
