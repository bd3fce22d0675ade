/**
 * How the admin API sends a stored record: dates as ISO strings (what res.json would make of
 * them anyway), so the page renderer and API clients get the same shape the type promises.
 */
export type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
