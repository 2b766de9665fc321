/**
 * `<plugin|personality> push <dir> <ref> [--dry-run] [--sign-key FILE]`:
 * validate like klausctl, warn before overwriting a tag, push, and sign.
 *
 * @module
 */

import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type Personality,
  type Plugin,
  readPersonalityFromDir,
  readPluginFromDir,
} from "../artifact/mod.ts";
import { InvalidArtifactError, InvalidReferenceError } from "../errors.ts";
import {
  repositoryFromRef,
  shortName,
  splitNameTag,
  truncateDigest,
} from "../ref/mod.ts";
import { type CommandContext, positionals } from "./context.ts";
import { expandRef } from "./kind.ts";

/**
 * The private key `--sign-key` names (PKCS#8 PEM, or cosign's encrypted
 * PEM with `COSIGN_PASSWORD`), read before anything is contacted, with
 * its key id.
 */
export async function readSignKey(
  file: string,
  passphrase: string | undefined,
): Promise<{ key: CryptoKey; keyId: string }> {
  let pem: string;
  try {
    pem = await readFile(file, "utf8");
  } catch (e) {
    throw new InvalidArtifactError(
      `reading signing key ${file}: ${(e as Error).message}`,
    );
  }
  const { importPrivateKeyPem, keyIdOf, publicKeyOf } = await import(
    "../sign/keys.ts"
  );
  const key = await importPrivateKeyPem(pem, { passphrase });
  return { key, keyId: await keyIdOf(await publicKeyOf(key)) };
}

/** What klausctl accepts as evidence of a plugin directory. */
export const PLUGIN_MARKERS = [
  "skills",
  "agents",
  "hooks",
  "commands",
  ".mcp.json",
] as const;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that `dir` is a directory (klausctl's messages).
 */
export async function requireDirectory(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") {
      throw new InvalidArtifactError(`directory does not exist: ${dir}`);
    }
    throw new InvalidArtifactError(
      `checking directory: ${(e as Error).message}`,
    );
  }
  if (!info.isDirectory()) {
    throw new InvalidArtifactError(`not a directory: ${dir}`);
  }
}

/**
 * klausctl's plugin directory check: at least one of `skills/`, `agents/`,
 * `hooks/`, `commands/`, `.mcp.json`.
 */
export async function validatePluginDir(dir: string): Promise<void> {
  await requireDirectory(dir);
  for (const marker of PLUGIN_MARKERS) {
    if (await exists(join(dir, marker))) return;
  }
  throw new InvalidArtifactError(
    `no recognized plugin content found in ${dir}\n` +
      "Expected at least one of: skills/, agents/, hooks/, commands/, .mcp.json",
  );
}

/**
 * klausctl's push reference check: the tag must be explicit.
 */
export function requireTag(ref: string): void {
  const [, tag] = splitNameTag(ref);
  if (tag === "") {
    throw new InvalidReferenceError(
      `reference "${ref}" must include a tag (e.g. ${ref}:v1.0.0)`,
    );
  }
}

/**
 * Runs `push`: JSON `{"name","ref","digest"}` (dry run: `"dryRun": true`,
 * digest `""`), or `<name>: pushed (<digest>)` /
 * `<name>: validated (dry run, push skipped)`.
 */
export async function pushCommand(ctx: CommandContext): Promise<void> {
  const [dir, refArg] = positionals(ctx, ["<dir>", "<ref>"]);
  // Validation order follows klausctl: directory, reference, tag. The
  // metadata is read up front so a dry run validates all a push would.
  let metadata: { plugin: Plugin } | { personality: Personality };
  if (ctx.kind === "personality") {
    await requireDirectory(dir);
    metadata = { personality: await readPersonalityFromDir(dir) };
  } else {
    await validatePluginDir(dir);
    metadata = { plugin: await readPluginFromDir(dir) };
  }
  const ref = expandRef(refArg, ctx.base);
  requireTag(ref);
  const name = shortName(repositoryFromRef(ref));
  const signFile = ctx.flags["sign-key"];
  const signer = signFile === undefined
    ? undefined
    : await readSignKey(signFile, ctx.globals.cosignPassword);

  let existing = "";
  try {
    existing = await ctx.client.resolve(ref);
  } catch {
    // Not there yet (or not readable): nothing to overwrite.
  }
  if (existing !== "") {
    ctx.out.warn(
      `tag already exists (${
        truncateDigest(existing)
      }); pushing will overwrite it`,
    );
  }

  if (ctx.flags["dry-run"]) {
    if (ctx.out.jsonMode) {
      ctx.out.json({ name, ref, digest: "", dryRun: true });
    } else {
      ctx.out.text(`${name}: validated (dry run, push skipped)`);
    }
    return;
  }

  const options = signer ? { signKey: signer.key } : {};
  const { digest } = "personality" in metadata
    ? await ctx.client.pushPersonality(dir, ref, metadata.personality, options)
    : await ctx.client.pushPlugin(dir, ref, metadata.plugin, options);
  if (ctx.out.jsonMode) {
    ctx.out.json(
      signer ? { name, ref, digest, signedBy: signer.keyId } : {
        name,
        ref,
        digest,
      },
    );
  } else {
    ctx.out.text(
      `${name}: pushed (${truncateDigest(digest)})${
        signer ? `, signed by key ${signer.keyId.slice(0, 12)}` : ""
      }`,
    );
  }
}
