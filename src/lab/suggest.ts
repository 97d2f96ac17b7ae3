/** "Did you mean ...?" for misspelled names (check kinds, fields, lab ids). */
import { distance } from 'fastest-levenshtein';

/**
 * The candidates close enough to `input` to be what was meant, best first. Close means a few
 * edits away (about one per three characters), or equal when case is ignored, or one being a
 * prefix of the other ("canary" for "canary-l4").
 */
export function closestNames(input: string, candidates: readonly string[], max = 3): string[] {
  const wanted = input.toLowerCase();
  // One edit for short words; for longer ones a swapped pair of letters (two edits) or about one in three.
  const limit = wanted.length <= 3 ? 1 : Math.max(2, Math.floor(wanted.length / 3));
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of new Set(candidates)) {
    const lower = name.toLowerCase();
    let score = distance(wanted, lower);
    if (score > limit && wanted.length >= 3 && (lower.startsWith(wanted) || wanted.startsWith(lower))) score = limit;
    if (score <= limit) scored.push({ name, score });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return scored.slice(0, max).map((s) => s.name);
}

/** ' (did you mean "x"?)' or '' — ready to append to a message. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const best = closestNames(input, candidates, 1)[0];
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** "a", "a or b", "a, b or c". */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
