/** "Did you mean" support: the known name closest to a misspelt one, when it is close enough. */
import { editDistance } from '../shared/suggest.ts';

export function nearestName(wanted: string, known: Iterable<string>): string | undefined {
  const lower = wanted.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (candidate.toLowerCase() === lower) return candidate;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(Math.max(wanted.length, 3) / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** `' (did you mean 'upper'?)'` or an empty string. */
export function didYouMean(wanted: string, known: Iterable<string>): string {
  const near = nearestName(wanted, known);
  return near === undefined ? '' : ` (did you mean '${near}'?)`;
}
