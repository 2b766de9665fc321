/**
 * A personality's `SOUL.md` (its own module: a pull reads it, and must not
 * load the YAML parser for that).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArtifactError } from "../errors.ts";
import { errorCode, fsErrorText } from "./fs_error.ts";

/**
 * The text of `SOUL.md` in `dir`, `""` when there is none; other read
 * failures throw `reading SOUL.md: …`.
 */
export async function readSoul(dir: string): Promise<string> {
  const path = join(dir, "SOUL.md");
  try {
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(
      await readFile(path),
    );
  } catch (e) {
    if (errorCode(e) === "ENOENT") return "";
    throw new InvalidArtifactError(`reading SOUL.md: ${fsErrorText(path, e)}`, {
      cause: e,
    });
  }
}
