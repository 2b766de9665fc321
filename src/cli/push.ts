/**
 * `<plugin|personality> push <dir> <ref> [--dry-run] [--sign-key FILE |
 * --sign [--identity-token FILE] [--oidc-issuer URL] [--fulcio-url URL]
 * [--rekor-url URL]]`:
 * validate like klausctl, warn before overwriting a tag, push, and sign.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Personality, Plugin } from "../artifact/types.ts";
import { readPluginFromDir } from "../artifact/read_plugin.ts";
import { registerSecret } from "../_redact.ts";
import {
  InvalidArtifactError,
  InvalidReferenceError,
  SignatureError,
} from "../errors.ts";
import {
  repositoryFromRef,
  shortName,
  splitNameTag,
  truncateDigest,
} from "../ref/mod.ts";
import {
  type CliPushOptions,
  type CommandContext,
  positionals,
} from "./context.ts";
import { expandRef } from "./kind.ts";
import { SIGSTORE_ID_TOKEN_ENV } from "./options.ts";
import { signerOf } from "./policy.ts";
import { UsageError } from "./usage.ts";

/**
 * The keyless signing options `--sign` asks for: the identity token from
 * `--identity-token FILE`, else `SIGSTORE_ID_TOKEN` (registered as a
 * secret at once: no message shows it), and the service URLs. Checked
 * before anything is contacted; `undefined` without `--sign`.
 */
export async function keylessOptions(
  ctx: Pick<CommandContext, "flags" | "globals" | "kind" | "command" | "out">,
): Promise<CliPushOptions["sign"]> {
  const f = ctx.flags;
  const topic = { kind: ctx.kind, command: ctx.command };
  if (!f.sign) {
    for (
      const flag of [
        "identity-token",
        "fulcio-url",
        "rekor-url",
        "oidc-issuer",
        "oidc-client-id",
      ] as const
    ) {
      if (f[flag] !== undefined) {
        throw new UsageError(`--${flag} applies with --sign only`, topic);
      }
    }
    return undefined;
  }
  if (f["sign-key"] !== undefined) {
    throw new UsageError(
      "--sign (keyless) and --sign-key exclude each other",
      topic,
    );
  }
  const urls: { fulcioUrl?: string; rekorUrl?: string } = {};
  for (
    const [flag, key] of [
      ["fulcio-url", "fulcioUrl"],
      ["rekor-url", "rekorUrl"],
    ] as const
  ) {
    const value = f[flag];
    if (value === undefined) continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      throw new UsageError(`--${flag} needs an http(s) URL`, topic);
    }
    urls[key] = value;
  }
  let token: string | undefined;
  const file = f["identity-token"];
  if (file !== undefined) {
    try {
      token = (await readFile(file, "utf8")).trim();
    } catch (e) {
      throw new SignatureError(
        `reading identity token ${file}: ${(e as Error).message}`,
        { reason: "other" },
      );
    }
    if (token === "") {
      throw new SignatureError(`identity token file ${file} is empty`, {
        reason: "other",
      });
    }
  } else {
    token = ctx.globals.identityToken;
  }
  // Without a token: the browser sign-in, when someone is there to do it
  // (a terminal) or asked for it (--oidc-issuer); never a wait in CI.
  if (
    token === undefined &&
    (ctx.out.interactive || f["oidc-issuer"] !== undefined)
  ) {
    const { oidcLogin } = await import("./oidc_login.ts");
    token = await oidcLogin({
      issuer: f["oidc-issuer"],
      clientId: f["oidc-client-id"],
      open: (url) => {
        ctx.out.stderr(`To sign, sign in with your browser:\n  ${url}`);
        if (ctx.out.interactive) openBrowser(url);
      },
    });
  }
  if (token === undefined) {
    throw new SignatureError(
      `keyless signing (--sign) needs an OIDC identity token: set ${SIGSTORE_ID_TOKEN_ENV} ` +
        "(in CI, from the provider's OIDC token with audience sigstore), pass " +
        "--identity-token FILE, or run it in a terminal to sign in with a browser",
      { reason: "other" },
    );
  }
  registerSecret(token, { ephemeral: true });
  return { identityToken: token, ...urls };
}

// Best effort: the URL is printed either way.
function openBrowser(url: string): void {
  const command = process.platform === "darwin"
    ? "open"
    : process.platform === "win32"
    ? "explorer"
    : "xdg-open";
  try {
    const child = spawn(command, [url], { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  } catch {
    // no opener here
  }
}

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
    // Loaded here: only a personality push needs the YAML parser.
    const { readPersonalityFromDir } = await import(
      "../artifact/read_personality.ts"
    );
    metadata = { personality: await readPersonalityFromDir(dir) };
  } else {
    await validatePluginDir(dir);
    metadata = { plugin: await readPluginFromDir(dir) };
  }
  const ref = expandRef(refArg, ctx.base);
  requireTag(ref);
  const name = shortName(repositoryFromRef(ref));
  const keyless = await keylessOptions(ctx);
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

  const options: CliPushOptions = {};
  if (signer) options.signKey = signer.key;
  if (keyless) options.sign = keyless;
  const { digest, signature } = "personality" in metadata
    ? await ctx.client.pushPersonality(dir, ref, metadata.personality, options)
    : await ctx.client.pushPlugin(dir, ref, metadata.plugin, options);
  // What signed: the library says; for a key, its id is known here too.
  const signed = signature ??
    (signer ? { keyId: signer.keyId, referrer: "" } : undefined);
  if (ctx.out.jsonMode) {
    ctx.out.json(
      signed
        ? {
          name,
          ref,
          digest,
          signedBy: signed.identity ?? signed.keyId,
          signature: signed,
        }
        : { name, ref, digest },
    );
  } else {
    const tlog = signed?.tlogIndex === undefined
      ? ""
      : `, tlog index ${signed.tlogIndex}`;
    ctx.out.text(
      `${name}: pushed (${truncateDigest(digest)})${
        signed ? `, signed by ${signerOf(signed)}${tlog}` : ""
      }`,
    );
  }
}
