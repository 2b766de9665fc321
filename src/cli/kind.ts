import { trimSpace } from "../ref/_trim_space.ts";
/**
 * The three artifact kinds as the command line names them, and the
 * short-name expansion klausctl applies before talking to a registry.
 *
 * @module
 */

import {
  DEFAULT_PERSONALITY_REGISTRY,
  DEFAULT_PLUGIN_REGISTRY,
  DEFAULT_TOOLCHAIN_REGISTRY,
} from "../ref/mod.ts";
import type { ArtifactKindName } from "../artifact/kind.ts";

/**
 * An artifact kind: the first word of every command.
 */
export type Kind = ArtifactKindName;

/**
 * Every kind, in the order help texts list them.
 */
export const KINDS: readonly Kind[] = ["plugin", "personality", "toolchain"];

/**
 * Whether `word` names a kind.
 */
export function isKind(word: string | undefined): word is Kind {
  return word === "plugin" || word === "personality" || word === "toolchain";
}

/**
 * The plural used in messages (`No plugins found …`).
 */
export function plural(kind: Kind): string {
  return kind === "personality" ? "personalities" : `${kind}s`;
}

/**
 * The registry base short names of `kind` expand against by default.
 */
export function defaultBase(kind: Kind): string {
  switch (kind) {
    case "plugin":
      return DEFAULT_PLUGIN_REGISTRY;
    case "personality":
      return DEFAULT_PERSONALITY_REGISTRY;
    case "toolchain":
      return DEFAULT_TOOLCHAIN_REGISTRY;
  }
}

/**
 * klausctl's `expandArtifactRef`: a reference containing `/` is taken as it
 * is; otherwise the name (before the first `@`, else the last `:`) is put
 * below `base`, keeping the tag or digest suffix. No network.
 */
export function expandRef(ref: string, base: string): string {
  const trimmed = trimSpace(ref);
  if (trimmed === "" || trimmed.includes("/")) return trimmed;
  let cut = trimmed.indexOf("@");
  if (cut < 0) cut = trimmed.lastIndexOf(":");
  if (cut < 0) return `${base}/${trimmed}`;
  return `${base}/${trimmed.slice(0, cut)}${trimmed.slice(cut)}`;
}
