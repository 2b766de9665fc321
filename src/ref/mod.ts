/**
 * References, Go-compatible reference helpers and Masterminds-compatible
 * semantic versions.
 *
 * Internal: this folder's names for the library's own modules, the CLI, the
 * edge API (`worker/`) and the tests. The package's public API is
 * `src/mod.ts`; nothing here is re-exported from it wholesale.
 *
 * @module
 */
export * from "./reference_type.ts";
export * from "./reference.ts";
export * from "./grammar.ts";
export * from "./helpers.ts";
export * from "./registries.ts";
export * from "./semver.ts";
export * from "./compare.ts";
export * from "./semver_tags.ts";
