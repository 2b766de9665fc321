/**
 * Which JavaScript runtime this is, for the few places where runtimes that
 * share the web APIs differ in how those APIs behave (not in what they
 * offer: feature detection covers that).
 *
 * @module
 */

/** The runtimes the library tells apart. */
export type RuntimeKind = "deno" | "bun" | "node" | "workerd" | "other";

/** This runtime. */
export function runtimeKind(): RuntimeKind {
  const g = globalThis as {
    Deno?: unknown;
    Bun?: unknown;
    navigator?: { userAgent?: string };
    process?: { release?: { name?: string } };
  };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  if (g.process?.release?.name === "node") return "node";
  return "other";
}
