/**
 * File-system error text in Go's wording (`open <path>: no such file or
 * directory`), so messages read the same as the Go module's whatever
 * runtime produced the error.
 *
 * @module
 */

const GO_ERRNO_TEXT: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ELOOP: "too many levels of symbolic links",
  EMFILE: "too many open files",
  ENAMETOOLONG: "file name too long",
};

/** The `code` of a Node-style file-system error, if any. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * `<op> <path>: <reason>` for a failed read of `path`, as Go's `*PathError`
 * prints (`read` instead of `open` when `path` is a directory).
 */
export function fsErrorText(path: string, err: unknown): string {
  const code = errorCode(err);
  const reason = code !== undefined && code in GO_ERRNO_TEXT
    ? GO_ERRNO_TEXT[code]
    : err instanceof Error
    ? err.message
    : String(err);
  return `${code === "EISDIR" ? "read" : "open"} ${path}: ${reason}`;
}
