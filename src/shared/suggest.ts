/** "Did you mean" suggestions: the known names closest to a misspelt one. */

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = [];
  for (let i = 0; i <= s.length; i++) rows.push([i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 0; j <= t.length; j++) rows[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, rows[i - 2][j - 2] + 1);
      rows[i][j] = best;
    }
  }
  return rows[s.length][t.length];
}

/** Candidates close enough to be a plausible typo of `word`, best first. */
export function closeMatches(word: string, candidates: readonly string[], limit = 3): string[] {
  const threshold = Math.max(2, Math.floor(word.length / 4));
  return nearest(word, candidates, limit).filter((candidate) => editDistance(word, candidate) <= threshold);
}

/** The `limit` candidates nearest to `word`, best first, whatever their distance. */
export function nearest(word: string, candidates: readonly string[], limit = 3): string[] {
  return [...new Set(candidates)]
    .map((candidate) => ({ candidate, distance: editDistance(word, candidate) }))
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .slice(0, limit)
    .map((entry) => entry.candidate);
}

/** ` (did you mean 'x'?)`, ` (did you mean 'x' or 'y'?)`, or nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const matches = closeMatches(word, candidates, 2);
  if (matches.length === 0) return '';
  return ` (did you mean ${matches.map((m) => `'${m}'`).join(' or ')}?)`;
}
