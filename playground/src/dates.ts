/**
 * The attention panel's task: dates written as people write them ("3 March 2021",
 * "March 3, 2021", "03/03/2021", "Wednesday, March 3, 2021", "3.3.2021") to ISO dates
 * ("2021-03-03"), generated here, and the character codes of both sides.
 */
import type { Random } from 'recurrent';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: number) => String(n).padStart(2, '0');

const FORMATS: readonly ((y: number, m: number, d: number, w: number) => string)[] = [
  (y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`,
  (y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d) => `${pad(m)}/${pad(d)}/${y}`,
  (y, m, d, w) => `${DAYS[w]}, ${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d) => `${d}.${m}.${y}`,
];

export const SOURCE_CHARS = ' ,./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const TARGET_CHARS = '0123456789-';

/** `count` (text, ISO) pairs of dates from 1950 to 2049. */
export function datePairs(count: number, rng: Random): { text: string; iso: string }[] {
  const start = Date.UTC(1950, 0, 1);
  const days = (Date.UTC(2050, 0, 1) - start) / 86400000;
  return Array.from({ length: count }, () => {
    const at = new Date(start + rng.nextInt(days) * 86400000);
    const [y, m, d, w] = [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCDay()];
    return { text: FORMATS[rng.nextInt(FORMATS.length)]!(y, m, d, w), iso: `${y}-${pad(m)}-${pad(d)}` };
  });
}

/** Character codes of `text` over `chars`; `undefined` when a character is not among them. */
export function codes(text: string, chars: string): number[] | undefined {
  const out = [...text].map((c) => chars.indexOf(c));
  return out.includes(-1) ? undefined : out;
}
