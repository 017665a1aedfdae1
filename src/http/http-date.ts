// HTTP-date (RFC 9110 §5.6.7), one parser for every rule that reads a date: Expires and Date
// (freshness), If-Modified-Since and If-Range (conditionals). Strict, unlike Date.parse, which
// reads `1`, `2012` or `Sat, 30 Jun 2099` as dates: a field that is not an HTTP-date is invalid
// and each caller says what an invalid one means. Pure apart from the clock for RFC 850 years.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MON = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MON} (\\d{4}) ${TIME} GMT$`);
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MON}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MON} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/**
 * An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms a recipient must accept)
 * in ms, or undefined for anything else: extra spaces, one-digit hours, other zones, impossible days.
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let y: number, mon: string, d: number, hh: number, mm: number, ss: number;
  let m = IMF_FIXDATE.exec(value);
  if (m) [d, mon, y, hh, mm, ss] = [Number(m[2]), m[3]!, Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7])];
  else if ((m = RFC850.exec(value))) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const yy = Number(m[4]);
    const now = new Date().getUTCFullYear();
    y = 2000 + yy > now + 50 ? 1900 + yy : 2000 + yy;
    [d, mon, hh, mm, ss] = [Number(m[2]), m[3]!, Number(m[5]), Number(m[6]), Number(m[7])];
  } else if ((m = ASCTIME.exec(value)))
    [mon, d, hh, mm, ss, y] = [m[2]!, Number(m[3]!.trim()), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7])];
  else return undefined;
  const month = MONTHS.indexOf(mon);
  if (hh > 23 || mm > 59 || ss > 60 || d < 1) return undefined;
  const t = Date.UTC(y, month, d, hh, mm, Math.min(ss, 59));
  return new Date(t).getUTCDate() === d ? t : undefined; // 31 Feb is not a date
}
