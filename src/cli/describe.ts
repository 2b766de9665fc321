/**
 * `<kind> describe <ref> [--deps] [--referrers] [--verify …]`: an
 * artifact's metadata, in klausctl's `%-14s %s` layout or as the library's
 * `Described*` object; with `--verify`, its signatures under a policy.
 *
 * @module
 */

import type {
  Author,
  DescribedPersonality,
  DescribedPlugin,
  DescribedToolchain,
  KlausMetadata,
  ResolvedDependencies,
} from "../artifact/types.ts";
// From the file, not the artifact barrel: that would load the YAML parser.
import { referenceString } from "../artifact/types.ts";
import { type CommandContext, positionals } from "./context.ts";
import { field, type Style } from "./output.ts";
import { UsageError } from "./usage.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { repositoryFromRef, truncateDigest } from "../ref/helpers.ts";
import { SignatureError } from "../errors.ts";
import type { SignatureResult } from "../sign/verify_artifact.ts";
import {
  failureOf,
  POLICY_FLAGS,
  policyFromFlags,
  signatureLines,
} from "./policy.ts";

/**
 * `Name <email>` when there is an e-mail, else the name.
 */
export function formatAuthor(author: Author | undefined): string {
  if (!author) return "";
  if (author.email) return `${author.name ?? ""} <${author.email}>`;
  return author.name ?? "";
}

/**
 * The metadata block: `Name:`, `Version:`, … `Digest:`; `compact` keeps
 * only name, version, description, author and digest (dependency blocks).
 */
export function metadataLines(
  meta: KlausMetadata & { version?: string },
  digest: string,
  style: Style,
  options: { indent?: string; compact?: boolean } = {},
): string[] {
  const indent = options.indent ?? "";
  const lines = [field("Name:", meta.name ?? "", style, indent)];
  const add = (label: string, value: string | undefined) => {
    if (value) lines.push(field(label, value, style, indent));
  };
  add("Version:", meta.version);
  add("Description:", meta.description);
  add("Author:", formatAuthor(meta.author));
  if (!options.compact) {
    add("Homepage:", meta.homepage);
    add("Repository:", meta.repository);
    add("License:", meta.license);
    if (meta.keywords && meta.keywords.length > 0) {
      add("Keywords:", meta.keywords.join(", "));
    }
  }
  add("Digest:", digest);
  return lines;
}

/**
 * A described plugin in text: metadata, then a `Components:` block when it
 * has any.
 */
export function pluginLines(d: DescribedPlugin, style: Style): string[] {
  const p = d.plugin;
  const lines = metadataLines(p, d.digest, style);
  const components: string[] = [];
  const list = (label: string, items: string[] | undefined) => {
    if (items && items.length > 0) {
      components.push(field(label, items.join(", "), style, "  "));
    }
  };
  list("Skills:", p.skills);
  list("Commands:", p.commands);
  list("Agents:", p.agents);
  if (p.hasHooks) components.push(field("Hooks:", "yes", style, "  "));
  list("MCP Servers:", p.mcpServers);
  list("LSP Servers:", p.lspServers);
  if (components.length > 0) {
    lines.push("", style.bold("Components:"));
    for (const c of components) lines.push(c);
  }
  return lines;
}

/**
 * Resolved dependencies in text: `Resolved Toolchain:` and
 * `Resolved Plugin [<name>]:` blocks (indented, compact), then one
 * `Warning: …` line per dependency that could not be described.
 */
export function dependencyLines(
  deps: ResolvedDependencies,
  style: Style,
): string[] {
  const lines: string[] = [];
  if (deps.toolchain) {
    lines.push(
      "",
      style.bold("Resolved Toolchain:"),
      ...metadataLines(deps.toolchain.toolchain, deps.toolchain.digest, style, {
        indent: "  ",
        compact: true,
      }),
    );
  }
  for (const p of deps.plugins) {
    lines.push(
      "",
      style.bold(`Resolved Plugin [${p.plugin.name}]:`),
      ...metadataLines(p.plugin, p.digest, style, {
        indent: "  ",
        compact: true,
      }),
    );
  }
  for (const w of deps.warnings) {
    lines.push("", `${style.yellow("Warning:")} ${w}`);
  }
  return lines;
}

/**
 * A described personality in text: metadata, `Toolchain:`, `Plugins:` and,
 * when given, the resolved dependencies.
 */
export function personalityLines(
  d: DescribedPersonality,
  deps: ResolvedDependencies | undefined,
  style: Style,
): string[] {
  const p = d.personality;
  const lines = metadataLines(p, d.digest, style);
  if (p.toolchain && p.toolchain.repository) {
    lines.push("", field("Toolchain:", referenceString(p.toolchain), style));
  }
  if (p.plugins && p.plugins.length > 0) {
    lines.push("", style.bold("Plugins:"));
    for (const ref of p.plugins) lines.push(`  - ${referenceString(ref)}`);
  }
  if (deps) { for (const l of dependencyLines(deps, style)) lines.push(l); }
  return lines;
}

/**
 * A described toolchain in text: the metadata block.
 */
export function toolchainLines(d: DescribedToolchain, style: Style): string[] {
  return metadataLines(d.toolchain, d.digest, style);
}

/**
 * Whether to resolve a personality's dependencies: `--deps` / `--no-deps`
 * when given, else yes in text mode and no with `--json` (like klausctl).
 */
export function wantsDeps(
  flags: { deps?: boolean; "no-deps"?: boolean },
  json: boolean,
): boolean {
  if (flags["no-deps"]) return false;
  if (flags.deps) return true;
  return !json;
}

/**
 * Runs `describe`.
 */
export async function describeCommand(ctx: CommandContext): Promise<void> {
  const [ref] = positionals(ctx, ["<ref>"]);
  const topic = { kind: ctx.kind, command: ctx.command };
  if (ctx.flags.deps && ctx.flags["no-deps"]) {
    throw new UsageError("--deps and --no-deps exclude each other", topic);
  }
  if (ctx.kind !== "personality" && (ctx.flags.deps || ctx.flags["no-deps"])) {
    throw new UsageError(
      "--deps and --no-deps apply to personality describe only",
      topic,
    );
  }
  const policyFlags = POLICY_FLAGS.filter((f) => ctx.flags[f] !== undefined);
  if (!ctx.flags.verify && policyFlags.length > 0) {
    throw new UsageError(
      `--${policyFlags[0]} applies with --verify only`,
      topic,
    );
  }
  // Read and checked before any request.
  const policy = ctx.flags.verify ? await policyFromFlags(ctx) : undefined;
  if (ctx.flags.verify && !policy) {
    throw new UsageError(
      "--verify needs --verify-key FILE, or --certificate-identity and " +
        "--certificate-oidc-issuer",
      topic,
    );
  }
  const { out } = ctx;
  const pinned = (d: { ref: string; digest: string }) =>
    d.digest ? `${repositoryFromRef(d.ref)}@${d.digest}` : d.ref;
  // Attached artifacts, on request: one more request per describe.
  const attached = async (d: { ref: string; digest: string }) =>
    ctx.flags.referrers ? await ctx.client.listReferrers(pinned(d)) : undefined;
  // Signatures, on request: the digest described is the digest checked.
  const verified = async (d: { ref: string; digest: string }) =>
    policy
      ? (await ctx.client.verifySignatures(pinned(d), {
        policy: { ...policy, require: false },
      })).signatures
      : undefined;
  const extras = async <T extends { ref: string; digest: string }>(
    d: T,
    doc: object,
  ) => {
    const r = await attached(d);
    const sigs = await verified(d);
    const json = {
      ...doc,
      ...(r ? { referrers: r } : {}),
      ...(sigs ? { signatures: sigs } : {}),
    };
    const lines = [
      ...(r ? ["", ...attachedLines(r, out.style)] : []),
      ...(sigs ? ["", ...signatureLines(sigs, out.style)] : []),
    ];
    return { json, lines, sigs };
  };
  let shown: { sigs?: SignatureResult[]; ref: string; digest: string };
  switch (ctx.kind) {
    case "plugin": {
      const d = await ctx.client.describePlugin(ref);
      const x = await extras(d, d);
      if (out.jsonMode) out.json(x.json);
      else out.lines([...pluginLines(d, out.style), ...x.lines]);
      shown = { ...d, sigs: x.sigs };
      break;
    }
    case "toolchain": {
      const d = await ctx.client.describeToolchain(ref);
      const x = await extras(d, d);
      if (out.jsonMode) out.json(x.json);
      else out.lines([...toolchainLines(d, out.style), ...x.lines]);
      shown = { ...d, sigs: x.sigs };
      break;
    }
    case "personality": {
      const d = await ctx.client.describePersonality(ref);
      const deps = wantsDeps(ctx.flags, out.jsonMode)
        ? await ctx.client.resolvePersonalityDeps(d.personality)
        : undefined;
      const x = await extras(d, deps ? { ...d, dependencies: deps } : d);
      if (out.jsonMode) out.json(x.json);
      else out.lines([...personalityLines(d, deps, out.style), ...x.lines]);
      shown = { ...d, sigs: x.sigs };
      break;
    }
  }
  // Shown either way; the exit code says whether the policy is met.
  if (shown.sigs && !shown.sigs.some((s) => s.verified)) {
    const reason = failureOf(shown.sigs);
    throw new SignatureError(
      `${shown.ref}: no signature verifies under the policy: ${reason}`,
      { reason },
    );
  }
}

/**
 * What is attached to an artifact, grouped by artifact type: `Attached:`,
 * then one line per type with its count and short digests.
 */
export function attachedLines(referrers: Descriptor[], style: Style): string[] {
  const lines = [style.bold("Attached:")];
  if (referrers.length === 0) {
    lines.push("  (nothing)");
    return lines;
  }
  const byType = new Map<string, string[]>();
  for (const d of referrers) {
    const type = d.artifactType ?? d.mediaType;
    const list = byType.get(type) ?? [];
    list.push(truncateDigest(d.digest));
    byType.set(type, list);
  }
  for (
    const [type, digests] of [...byType].sort(([a], [b]) => a < b ? -1 : 1)
  ) {
    lines.push(`  ${type}: ${digests.join(", ")}`);
  }
  return lines;
}
