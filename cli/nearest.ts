// The known word nearest to a mistyped one, for "did you mean ...?" hints in usage errors.

/**
 * The candidate closest to `word` by edit distance (a swap of two neighbouring letters counts as one
 * edit: `ulr` → `url`), or a candidate that `word` abbreviates; undefined when none is close enough to
 * be a plausible typo, so that a hint is never a wild guess.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const bare = (s: string) => s.replace(/^-+/, '');
  const typed = bare(word);
  // Up to one edit per three letters: 'serv' → 'serve', but 'heal-everything' suggests nothing.
  const allowed = Math.max(1, Math.floor(typed.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const known = bare(candidate);
    const distance = typed.length >= 3 && known.startsWith(typed) ? 1 : editDistance(typed, known);
    if (distance <= allowed && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
