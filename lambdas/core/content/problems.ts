import type * as z from "zod/mini";
import { MAX_PROBLEMS } from "../limits.js";
import type { Problem } from "../model.js";
import { findInvalidXmlChar, stripInvalidXmlChars } from "../text.js";

/** A parsed file, or the problems that stop it, worded for an editor. */
export type Parsed<T> =
  | { ok: true; value: T; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

export const problem = (file: string, field: string, message: string, fix: string, severity: Problem["severity"] = "error"): Problem => ({
  file, field, message, fix, severity,
});

export const rejected = (problems: Problem[]): { ok: false; problems: Problem[] } => ({ ok: false, problems: capProblems(problems) });

/** The first `MAX_PROBLEMS`, then one line counting the rest: 40,000 bad keys make a short report. */
export function capProblems(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const first = problems[0]!;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    problem(first.file, "file", `${problems.length - MAX_PROBLEMS} more problems not listed`, "fix the problems above, then upload the file again to see the rest"),
  ];
}

/** A value quoted for a message, cut so a hostile 1 MB value makes a one-line message. */
export function quote(value: unknown, max = 60): string {
  const s = String(value);
  const cut = Array.from(s.slice(0, max * 2)).slice(0, max).join("");
  return JSON.stringify(cut.length < s.length ? `${cut}…` : s);
}

/** Zod issues as editor problems; `fixes` maps each known top-level field to its fix. */
export function zodProblems(file: string, error: z.core.$ZodError, fixes: Record<string, string>, data: Record<string, unknown>): Problem[] {
  return error.issues.map((i) => {
    const field = i.path.length > 0 ? i.path.slice(0, 3).map((p) => String(p).slice(0, 40)).join(".") : "front matter";
    const top = String(i.path[0] ?? "");
    if (i.code === "unrecognized_keys") {
      const shown = i.keys.slice(0, 5).map((k) => quote(k, 40));
      const more = i.keys.length > 5 ? ` and ${i.keys.length - 5} more` : "";
      return problem(file, i.keys.slice(0, 5).map((k) => k.slice(0, 40)).join(", "), `unknown field${i.keys.length > 1 ? "s" : ""} ${shown.join(", ")}${more}`, `remove it or correct its spelling; the known fields are ${Object.keys(fixes).join(", ")}`);
    }
    const missing = i.path.length === 1 && data[top] === undefined;
    return problem(file, field, missing ? "is missing" : i.message.replace(/^Invalid input: /, ""), fixes[top] ?? "correct the value");
  });
}

/** Strips characters XML forbids, with a warning that says where the first one was. */
export function cleanText(file: string, field: string, text: string, warnings: Problem[]): string {
  const bad = findInvalidXmlChar(text);
  if (!bad) return text;
  warnings.push(problem(file, field, `contains the invisible control character ${bad.code} (line ${bad.line}, column ${bad.column}), which feeds cannot carry; it was removed`, "delete it in your editor (it often comes from pasting from a word processor)", "warning"));
  return stripInvalidXmlChars(text);
}
