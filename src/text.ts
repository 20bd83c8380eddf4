/** Words for people: counts with their plural, durations in the unit that reads best. */

/** `1 change`, `2 changes`; `plural` for words that do not just take an "s". */
export function count(n: number, word: string, plural = `${word}s`): string {
  return `${n} ${n === 1 ? word : plural}`;
}

/** `850 ms`, `4 s`, `50.5 s`, `2 min 3 s`, `1 h 5 min`: never `50533 ms`. */
export function formatDuration(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  if (t < 1000) return `${t} ms`;
  if (t < 59_950) return `${Number((t / 1000).toFixed(1))} s`;
  const s = Math.round(t / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const min = Math.round(s / 60);
  return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ""}`;
}
