import { closest, distance } from 'fastest-levenshtein';

/**
 * `; did you mean "X"?` for a name that is not one of `known` but close to one (letter case aside,
 * at most a third of its letters apart, and always 2), else nothing. One hint for every misspelt
 * name a person types: options, connector settings, CLI flags.
 */
export function didYouMean(name: string, known: readonly string[]): string {
  if (!known.length) return '';
  const nearest = closest(name, [...known]);
  return distance(name.toLowerCase(), nearest.toLowerCase()) <= Math.max(2, Math.floor(name.length / 3))
    ? `; did you mean "${nearest}"?`
    : '';
}
