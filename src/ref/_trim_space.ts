/**
 * Go's `strings.TrimSpace`, the one trim used for references, names and
 * keywords (internal: not part of the public API).
 *
 * @module
 */

// Go's unicode.IsSpace: the White_Space characters. Unlike String#trim it
// includes U+0085 (NEL) and excludes U+FEFF (the byte-order mark).
function isGoSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000;
}

/**
 * Go's `strings.TrimSpace`: removes leading and trailing white space as Go
 * defines it (Unicode White_Space). Unlike `String.prototype.trim` it
 * removes U+0085 (NEL) and keeps U+FEFF (a byte-order mark). Every place
 * that trims a reference, a name or a keyword uses it.
 */
export function trimSpace(s: string): string {
  // Every Go space is one UTF-16 unit; a loop stays linear on long runs.
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) start++;
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
