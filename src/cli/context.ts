/**
 * What a command gets to work with, and the slice of the library client it
 * drives (structural, so the commands can be exercised with a stand-in).
 *
 * @module
 */

import type {
  VerificationPolicy,
  VerificationResult,
} from "../sign/verify_artifact.ts";
import type {
  DescribedPersonality,
  DescribedPlugin,
  DescribedToolchain,
  ListEntry,
  Personality,
  Plugin,
  PulledPersonality,
  PulledPlugin,
  PushResult,
  ResolvedDependencies,
} from "../artifact/types.ts";
import type { Kind } from "./kind.ts";
import type { FlagValues, GlobalOptions } from "./options.ts";
import type { Output } from "./output.ts";
import { type Command, UsageError } from "./usage.ts";
import type { Descriptor } from "../oci/descriptor.ts";

/**
 * Options of the list calls the CLI makes.
 */
export interface CliListOptions {
  /** Registry base to list. */
  registry?: string;
  /** Receives repositories that were skipped. */
  onWarning?: (warning: string) => void;
}

/**
 * The library client methods the command line uses.
 */
export interface CliClient {
  /** Manifest digest of a reference. */
  resolve(ref: string): Promise<string>;
  /** Pins a plugin reference. */
  resolvePluginRef(ref: string): Promise<string>;
  /** Pins a personality reference. */
  resolvePersonalityRef(ref: string): Promise<string>;
  /** Pins a toolchain reference. */
  resolveToolchainRef(ref: string): Promise<string>;
  /** Lists plugins. */
  listPlugins(options?: CliListOptions): Promise<ListEntry[]>;
  /** Lists personalities. */
  listPersonalities(options?: CliListOptions): Promise<ListEntry[]>;
  /** Lists toolchains. */
  listToolchains(options?: CliListOptions): Promise<ListEntry[]>;
  /** Semver tags of a plugin. */
  listPluginVersions(nameOrRef: string): Promise<string[]>;
  /** Semver tags of a personality. */
  listPersonalityVersions(nameOrRef: string): Promise<string[]>;
  /** Semver tags of a toolchain. */
  listToolchainVersions(nameOrRef: string): Promise<string[]>;
  /** Describes a plugin. */
  describePlugin(ref: string): Promise<DescribedPlugin>;
  /** Describes a personality. */
  describePersonality(ref: string): Promise<DescribedPersonality>;
  /** Describes a toolchain. */
  describeToolchain(ref: string): Promise<DescribedToolchain>;
  /** What is attached to a manifest (OCI referrers). */
  listReferrers(
    ref: string,
    options?: { artifactType?: string },
  ): Promise<Descriptor[]>;
  /** The signatures of a manifest under a policy (no pull). */
  verifySignatures(
    ref: string,
    options?: { policy?: VerificationPolicy },
  ): Promise<VerificationResult>;
  /** Describes a personality's toolchain and plugins. */
  resolvePersonalityDeps(p: Personality): Promise<ResolvedDependencies>;
  /** Pulls a plugin. */
  pullPlugin(
    ref: string,
    dir: string,
    options?: CliPullOptions,
  ): Promise<PulledPlugin>;
  /** Pulls a personality. */
  pullPersonality(
    ref: string,
    dir: string,
    options?: CliPullOptions,
  ): Promise<PulledPersonality>;
  /** Pushes a plugin directory. */
  pushPlugin(
    dir: string,
    ref: string,
    plugin: Plugin,
    options?: CliPushOptions,
  ): Promise<PushResult>;
  /** Pushes a personality directory. */
  pushPersonality(
    dir: string,
    ref: string,
    personality: Personality,
    options?: CliPushOptions,
  ): Promise<PushResult>;
  /** Waits for background work. */
  close(): Promise<void>;
}

/** The pull options the CLI passes. */
export interface CliPullOptions {
  /** Skipped archive entries. */
  onWarning?: (warning: string) => void;
  /** `--verify-key`, `--certificate-*`: the signature policy. */
  verification?: VerificationPolicy;
}

/** The push options the CLI passes. */
export interface CliPushOptions {
  /** `--sign-key`: the private key to sign with. */
  signKey?: CryptoKey;
  /** `--sign`: keyless signing (Fulcio, Rekor, an identity token). */
  sign?: { identityToken: string; fulcioUrl?: string; rekorUrl?: string };
}

/**
 * One command run.
 */
export interface CommandContext {
  /** The artifact kind. */
  kind: Kind;
  /** The command. */
  command: Command;
  /** Positional arguments after the command word. */
  args: string[];
  /** All flag values. */
  flags: FlagValues;
  /** Global options (flags and environment). */
  globals: GlobalOptions;
  /** Registry base short names expand against. */
  base: string;
  /** The library client. */
  client: CliClient;
  /** Output channels. */
  out: Output;
}

/**
 * Checks the positional argument count; returns the arguments.
 */
export function positionals(
  ctx: Pick<CommandContext, "kind" | "command" | "args">,
  required: string[],
  optional: string[] = [],
): string[] {
  const topic = { kind: ctx.kind, command: ctx.command };
  if (ctx.args.length < required.length) {
    const missing = required.slice(ctx.args.length).join(" ");
    throw new UsageError(`missing ${missing}`, topic);
  }
  const max = required.length + optional.length;
  if (ctx.args.length > max) {
    throw new UsageError(
      `unexpected argument${ctx.args.length - max > 1 ? "s" : ""}: ${
        ctx.args.slice(max).join(" ")
      }`,
      topic,
    );
  }
  for (const [i, a] of ctx.args.entries()) {
    if (a.trim() === "") {
      throw new UsageError(
        `${[...required, ...optional][i]} must not be empty`,
        topic,
      );
    }
  }
  return ctx.args;
}
