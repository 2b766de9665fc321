/**
 * Archive entry names: lexical cleaning (Go `path.Clean`) and the rule that
 * decides whether a name may be extracted.
 *
 * @module
 */

/**
 * Go's `path.Clean` (the Unix `filepath.Clean`): collapses `//` and `./`,
 * resolves `..` lexically, strips a trailing `/`; an empty result is `"."`.
 */
export function cleanPath(name: string): string {
  if (name === "") return ".";
  const rooted = name.startsWith("/");
  const out: string[] = [];
  // Leading `..` segments of a relative path cannot be resolved and are kept.
  let keptDotDots = 0;
  for (const seg of name.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > keptDotDots) out.pop();
      else if (!rooted) {
        out.push("..");
        keptDotDots++;
      }
      continue;
    }
    out.push(seg);
  }
  const joined = out.join("/");
  if (rooted) return "/" + joined;
  return joined === "" ? "." : joined;
}

/**
 * The cleaned, destination-relative path of an archive entry, or `undefined`
 * when the entry must be refused: an absolute name, or one that still has a
 * `..` segment after cleaning (it would land outside the destination).
 * Unlike the Go module, a name that merely starts with two dots (`..foo`)
 * is accepted: it is an ordinary file name.
 */
export function safeEntryPath(name: string): string | undefined {
  if (name.startsWith("/")) return undefined;
  const clean = cleanPath(name);
  if (clean === ".." || clean.startsWith("../")) return undefined;
  return clean;
}
