/**
 * References, Go-compatible reference helpers and Masterminds-compatible
 * semantic versions.
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
