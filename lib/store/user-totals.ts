import type { IdentityEvents } from '../model/events.js';

/**
 * totalResults of a connector's unfiltered user list, so that paging through it (a client
 * walking every page, the admin page) costs one COUNT(*) per change instead of one per page.
 * This process's creates and deletes drop the entry when they commit; changes made by another
 * process show within the TTL. A count read while a write committed is not kept.
 */
export class UserTotals {
  private readonly entries = new Map<string, { total: number; until: number }>();
  private generation = 0;

  constructor(
    events: IdentityEvents,
    private readonly ttlMs = 5_000,
  ) {
    const drop = (connectorId: string) => {
      this.generation += 1;
      this.entries.delete(connectorId);
    };
    events.on('user.created', (user) => drop(user.connectorId));
    events.on('user.deleted', ({ connectorId }) => drop(connectorId));
    events.on('connector.deleted', ({ id }) => drop(id));
  }

  async get(connectorId: string, count: () => Promise<number>): Promise<number> {
    const now = Date.now();
    const entry = this.entries.get(connectorId);
    if (entry && entry.until > now) return entry.total;
    const generation = this.generation;
    const total = await count();
    if (generation === this.generation) this.entries.set(connectorId, { total, until: now + this.ttlMs });
    return total;
  }
}
