// @ts-check
// Time values of the dashboard: the URL's "from"/"to" syntax and UTC ISO 8601 display.
//
// Pure functions: no DOM and no clock (callers pass "now" in µs), so node --test loads this file
// as it is (test/web/time_test.mjs). Every timestamp is µs since the epoch, always shown in UTC:
// nothing here uses the local time zone.

export const HOUR_US = 3600e6;
export const HOUR_MS = 3600e3;

const UNIT_US = { m: 60e6, h: 3600e6, d: 86400e6 };

// ISO 8601 as the dashboard accepts it: a date, optionally a time, optionally a zone. Anything
// else is refused here, and so are impossible fields (February 30, 24:00), which Date.parse
// would roll over; its lenient fallback (which reads "2024-05-01 10:00" in the browser's local
// zone) is never reached.
const ISO_RE = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?$/;

/**
 * Whether ISO_RE's fields name a real date and time of day.
 * @param {RegExpExecArray} m
 */
function realDateTime(m) {
  const [y, mo, d, hh, mm, ss] = m.slice(1, 7).map((x) => Number(x || 0));
  const last = new Date(0);
  last.setUTCFullYear(y, mo, 0); // day 0 of the next month (setUTCFullYear takes years < 100 as is)
  const daysInMonth = last.getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && hh <= 23 && mm <= 59 && ss <= 59;
}

/**
 * A µs timestamp as UTC ISO 8601: "2024-05-01T10:00:00Z" (seconds), or with 3 or 6 fraction
 * digits. "—" for anything that is not a finite number; the raw number as text when it is
 * outside the range a Date can hold.
 * @param {unknown} us
 * @param {3 | 6} [digits]
 * @returns {string}
 */
export function isoUs(us, digits) {
  if (typeof us !== 'number' || !Number.isFinite(us)) return '—';
  try {
    const s = new Date(Math.floor(us / 1000)).toISOString(); // 2024-05-01T10:00:00.123Z
    if (digits === 3) return s;
    if (digits === 6) {
      const frac = String(((us % 1e6) + 1e6) % 1e6).padStart(6, '0');
      return s.slice(0, 19) + '.' + frac + 'Z';
    }
    return s.slice(0, 19) + 'Z';
  } catch (_) {
    // RangeError from toISOString for times outside Date's range: show the raw number.
    return String(us);
  }
}

/**
 * An hour's start as "2024-05-01T10:00Z" (isoUs's text when it is not a normal time).
 * @param {unknown} us
 * @returns {string}
 */
export function hourLabel(us) {
  const s = isoUs(us);
  return s.length === 20 ? s.slice(0, 16) + 'Z' : s;
}

/**
 * A URL time value -> µs since the epoch, or null for "" (not given). Accepts "now",
 * "now-<n>m|h|d", µs digits, "@SECONDS[.frac]" and ISO 8601 (UTC when no zone is given).
 * @param {string} v
 * @param {number} nowUs
 * @returns {number | null}
 * @throws {Error} 'cannot read time "<v>"' for anything else.
 */
export function resolveTime(v, nowUs) {
  if (!v) return null;
  let m = /^now(?:-(\d+)([mhd]))?$/.exec(v);
  if (m) return nowUs - (m[1] ? Number(m[1]) * UNIT_US[/** @type {'m'|'h'|'d'} */ (m[2])] : 0);
  if (/^\d+$/.test(v)) return Number(v);
  m = /^@(\d+(?:\.\d+)?)$/.exec(v);
  if (m) return Math.round(Number(m[1]) * 1e6);
  m = ISO_RE.exec(v);
  if (m && realDateTime(m)) {
    const iso = v.length === 10 ? v + 'T00:00:00Z' : m[7] ? v : v + 'Z';
    const ms = Date.parse(iso);
    if (!Number.isNaN(ms)) return ms * 1000;
  }
  throw new Error('cannot read time "' + v + '"');
}

/**
 * A typed time: "2024-05-01 10:00" becomes "2024-05-01T10:00" (a missing zone means UTC).
 * @param {string} v
 * @returns {string}
 */
export function normTime(v) {
  return v.trim().replace(/^(\d{4}-\d\d-\d\d) +(\d)/, '$1T$2');
}

/**
 * The API's window parameters for a view's from/to: {} for the server default. A relative
 * "from" without "to" ends now, so the window does not depend on the server's clock.
 * @param {{from: string, to: string}} s
 * @param {number} nowUs
 * @returns {{from?: string, to?: string}}
 * @throws {Error} as resolveTime, for a value it cannot read.
 */
export function windowParams(s, nowUs) {
  /** @type {{from?: string, to?: string}} */
  const out = {};
  const from = resolveTime(s.from, nowUs);
  let to = resolveTime(s.to, nowUs);
  if (from != null && to == null && s.from.startsWith('now')) to = nowUs;
  if (from != null) out.from = String(Math.floor(from));
  if (to != null) out.to = String(Math.floor(to));
  return out;
}

/**
 * The header's custom range, as typed, checked and normalized for the URL.
 * @param {string} fromText
 * @param {string} toText
 * @param {number} nowUs
 * @returns {{ok: true, from: string, to: string} | {ok: false, message: string}}
 *   from/to as "2024-05-01T10:00:00Z" ("" when not given), so shared URLs read the same.
 */
export function parseRange(fromText, toText, nowUs) {
  let fu, tu;
  try {
    fu = resolveTime(normTime(fromText), nowUs);
    tu = resolveTime(normTime(toText), nowUs);
  } catch (e) {
    return {
      ok: false,
      message: 'Time range: ' + errorText(e) + ' (use UTC ISO 8601, e.g. 2024-05-01T10:00:00Z)',
    };
  }
  if (fu != null && tu != null && fu >= tu) {
    return { ok: false, message: 'Time range: "from" must be before "to"' };
  }
  return { ok: true, from: fu == null ? '' : isoUs(fu), to: tu == null ? '' : isoUs(tu) };
}

/**
 * An exception's message, for showing it (anything can be thrown).
 * @param {unknown} e
 * @returns {string}
 */
export function errorText(e) {
  return e instanceof Error ? e.message : String(e);
}
