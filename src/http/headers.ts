// Header lists and values, one shape for the edge and the origin: a flat `[name, value, …]` list,
// as Node's `rawHeaders` and `writeHead` use it. Pure.

/** The one header-list type: `[name, value, name, value, …]`, names as written, order kept. */
export type HeaderList = string[];

/** A header value Node parsed (`string | string[]`) as one field value: repeated lines joined with `, ` (RFC 9110 §5.3). */
export function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The first value of `lowerName` in a list of pairs. */
export function headerValue(pairs: readonly [string, string][], lowerName: string): string | undefined {
  for (const [n, v] of pairs) if (n.toLowerCase() === lowerName) return v;
  return undefined;
}

/** The value of `lowerName` in a flat list. */
export function listValue(list: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < list.length; i += 2) if (list[i]!.toLowerCase() === lowerName) return list[i + 1];
  return undefined;
}

export function pairsOf(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** A copy of a flat header list with `name` set to `value` (added if absent). */
export function replaceHeader(flat: readonly string[], name: string, value: string): HeaderList {
  const lower = name.toLowerCase();
  const out: HeaderList = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i]!.toLowerCase() !== lower) out.push(flat[i]!, flat[i + 1]!);
  out.push(name, value);
  return out;
}
