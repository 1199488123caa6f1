import { DateTime } from "luxon";
import { MAX_DATE_CHARS } from "../limits.js";
import { quote } from "./problems.js";

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Why a date-shaped string is not a date, in an editor's words rather than luxon's. */
function dateProblem(s: string, luxonExplanation: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(s);
  if (!m) return "not in YYYY-MM-DD HH:MM form";
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const days = DateTime.fromObject({ year, month }).daysInMonth ?? 31;
  if (day < 1 || day > days) return `${MONTHS[month - 1]} ${year} has ${days} days`;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59)) return `there is no time ${m[4]}:${m[5]}`;
  return luxonExplanation.replace(/^the input ".*" can't be parsed as ISO 8601$/, "not in YYYY-MM-DD HH:MM form") || "not a date";
}

/** An offset or `Z` at the very end. Fixed width, so trying it at every position stays linear. */
const TRAILING_ZONE = /(?:[+-]\d{2}:?\d{2}|Z)$/;

/** Date in ISO 8601; without an offset it is read in the site's zone. */
export function parseDate(value: string, timeZone: string): { ok: true; iso: string } | { ok: false; why: string } {
  // Length first: every later step is then bounded whatever the input.
  if (value.length > MAX_DATE_CHARS) return { ok: false, why: `${quote(value, 30)} is ${value.length} characters long; a date is at most ${MAX_DATE_CHARS}` };
  let s = value.trim().replace(/^(\d{4}-\d{2}-\d{2})[ ]+(?=\d)/, "$1T");
  // `2024-05-01 10:00 +05:00`: drop the spaces before the zone. (The former
  // `/[ ]+(?=…$)/` rescanned the run of spaces from each of its starts: quadratic.)
  const zone = TRAILING_ZONE.exec(s);
  if (zone) s = `${s.slice(0, zone.index).trimEnd()}${zone[0]}`;
  const dt = DateTime.fromISO(s, { zone: timeZone, setZone: true });
  if (!dt.isValid) {
    return { ok: false, why: `"${value}" is not a real date (${dateProblem(s, dt.invalidExplanation ?? dt.invalidReason ?? "")})` };
  }
  if (dt.offset < -12 * 60 || dt.offset > 14 * 60) return { ok: false, why: `"${value}" has the UTC offset ${dt.toFormat("ZZ")}, which no place uses (offsets run from -12:00 to +14:00)` };
  if (dt.year < 1990 || dt.year > 2200) return { ok: false, why: `"${value}" is outside the years 1990 to 2200` };
  return { ok: true, iso: dt.toUTC().toISO({ suppressMilliseconds: false }) ?? "" };
}
