/**
 * skopeo as the independent second client: what our client pushes it must
 * read, and what it pushes our client must read.
 *
 * Every run gets its own temp HOME, auth file, registries.conf and TMPDIR,
 * so the developer's container configuration never interferes; credentials
 * come only from the {@linkcode RegistryHandle} (or an explicit override).
 *
 * @module
 */
import type { RegistryHandle } from "./registry.ts";

/** Options of {@linkcode skopeo}. */
export interface SkopeoOptions {
  /** Registry of every `docker://` reference (TLS off, its credentials). */
  registry?: RegistryHandle;
  /** `copy` source registry, when it differs from `registry`. */
  srcRegistry?: RegistryHandle;
  /** `copy` destination registry, when it differs from `registry`. */
  destRegistry?: RegistryHandle;
  /**
   * `user:pass` to send instead of the handle's valid credentials, or
   * `null` for anonymous access.
   */
  creds?: string | null;
  /**
   * A Docker/containers auth file to take credentials from instead of
   * `--creds` (proves a Docker config works with an independent client).
   */
  authFile?: string;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** What one skopeo run produced. */
export interface SkopeoResult {
  /** Exit code. */
  code: number;
  /** Raw stdout (manifest bytes are exact). */
  stdout: Uint8Array;
  /** stdout as text. */
  stdoutText: string;
  /** stderr as text. */
  stderr: string;
}

const dec = new TextDecoder();

function credsFor(reg: RegistryHandle | undefined, options: SkopeoOptions) {
  if (options.creds === null) return null;
  if (options.creds !== undefined) return options.creds;
  if (!reg || reg.mode === "open" || options.authFile !== undefined) {
    return undefined;
  }
  return `${reg.username}:${reg.password}`;
}

/** Adds TLS and credential flags for one side (`""`, `src-`, `dest-`). */
function sideFlags(
  side: "" | "src-" | "dest-",
  reg: RegistryHandle | undefined,
  options: SkopeoOptions,
): string[] {
  if (!reg) return [];
  const flags = [`--${side}tls-verify=false`];
  const creds = credsFor(reg, options);
  if (creds === null) flags.push(`--${side}no-creds`);
  else if (creds !== undefined) flags.push(`--${side}creds`, creds);
  return flags;
}

/** `docker://` unless the string already names a transport. */
export function dockerRef(ref: string): string {
  // `host:port/…` is a registry; `oci:/dir:tag`, `docker://…` are transports.
  return /^[a-z-]+:(?!\d)/.test(ref) ? ref : `docker://${ref}`;
}

/**
 * Runs `skopeo <args>` with TLS verification off and credentials for the
 * registries involved. Flags go right after the subcommand.
 *
 * @example
 * ```ts
 * const r = await skopeo(["inspect", "--raw", `docker://${reg.ref("a", "v1")}`], { registry: reg });
 * console.log(r.code, r.stdoutText);
 * ```
 */
export async function skopeo(
  args: string[],
  options: SkopeoOptions = {},
): Promise<SkopeoResult> {
  const [sub, ...rest] = args;
  const positional = rest.filter((a) => !a.startsWith("-"));
  let flags: string[] = [];
  if (sub === "copy" || sub === "sync") {
    const src = options.srcRegistry ?? options.registry;
    const dst = options.destRegistry ?? options.registry;
    // The last two positionals are the references (flag values come first).
    const [srcRef = "", dstRef = ""] = positional.slice(-2);
    const srcDocker = sub === "sync" || srcRef.startsWith("docker://");
    const dstDocker = sub === "sync" || dstRef.startsWith("docker://");
    flags = [
      ...(srcDocker ? sideFlags("src-", src, options) : []),
      ...(dstDocker ? sideFlags("dest-", dst, options) : []),
    ];
  } else if (["inspect", "list-tags", "delete"].includes(sub)) {
    flags = sideFlags("", options.registry, options);
  }

  const home = await Deno.makeTempDir({ prefix: "klaus-oci-skopeo-" });
  try {
    await Deno.writeTextFile(`${home}/registries.conf`, "");
    const out = await new Deno.Command("skopeo", {
      args: [
        "--insecure-policy",
        "--override-os",
        "linux",
        "--override-arch",
        "amd64",
        sub,
        ...flags,
        ...rest,
      ],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: home,
        TMPDIR: home,
        XDG_RUNTIME_DIR: home,
        XDG_CONFIG_HOME: home,
        DOCKER_CONFIG: home,
        REGISTRY_AUTH_FILE: options.authFile ?? `${home}/auth.json`,
        CONTAINERS_REGISTRIES_CONF: `${home}/registries.conf`,
        ...options.env,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: out.stdout,
      stdoutText: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
    };
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

async function ok(
  args: string[],
  options: SkopeoOptions,
): Promise<SkopeoResult> {
  const r = await skopeo(args, options);
  if (r.code !== 0) {
    throw new Error(
      `skopeo ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`,
    );
  }
  return r;
}

/**
 * The exact manifest bytes at `ref` (`host/repo:tag` or `docker://…`).
 *
 * @example
 * ```ts
 * const bytes = await inspectRaw(reg.ref("plugins/a", "v1"), { registry: reg });
 * ```
 */
export async function inspectRaw(
  ref: string,
  options: SkopeoOptions = {},
): Promise<Uint8Array> {
  return (await ok(["inspect", "--raw", dockerRef(ref)], options)).stdout;
}

/**
 * The exact config blob bytes of the image at `ref`.
 *
 * @example
 * ```ts
 * const config = JSON.parse(new TextDecoder().decode(await inspectConfigRaw(ref, { registry: reg })));
 * ```
 */
export async function inspectConfigRaw(
  ref: string,
  options: SkopeoOptions = {},
): Promise<Uint8Array> {
  return (await ok(["inspect", "--config", "--raw", dockerRef(ref)], options))
    .stdout;
}

/**
 * `skopeo inspect` (image metadata, including `Digest`) as parsed JSON.
 * Only works for container images, not for custom artifacts.
 *
 * @example
 * ```ts
 * const { Digest } = await inspect(reg.ref("img", "v1"), { registry: reg });
 * ```
 */
export async function inspect(
  ref: string,
  options: SkopeoOptions = {},
): Promise<Record<string, unknown>> {
  return JSON.parse(
    (await ok(["inspect", dockerRef(ref)], options)).stdoutText,
  );
}

/**
 * Every tag of `repo` (`host/repo` or `docker://host/repo`).
 *
 * @example
 * ```ts
 * const tags = await listTags(reg.ref("plugins/a"), { registry: reg });
 * ```
 */
export async function listTags(
  repo: string,
  options: SkopeoOptions = {},
): Promise<string[]> {
  return JSON.parse(
    (await ok(["list-tags", dockerRef(repo)], options)).stdoutText,
  ).Tags;
}

/** Options of {@linkcode copy}. */
export interface CopyOptions extends SkopeoOptions {
  /** `--all` (every image of an index; default true). */
  all?: boolean;
  /** `--preserve-digests` (default true). */
  preserveDigests?: boolean;
  /** Extra flags. */
  flags?: string[];
}

/**
 * `skopeo copy` between two transports (`docker://…`, `oci:<dir>:<tag>`, …).
 * A bare `host/repo:tag` is taken as `docker://`.
 *
 * @example
 * ```ts
 * await copy(reg.ref("plugins/a", "v1"), `oci:${dir}:v1`, { registry: reg });
 * ```
 */
export async function copy(
  src: string,
  dst: string,
  options: CopyOptions = {},
): Promise<void> {
  const flags = [
    ...(options.all ?? true ? ["--all"] : []),
    ...(options.preserveDigests ?? true ? ["--preserve-digests"] : []),
    ...(options.flags ?? []),
  ];
  await ok(["copy", ...flags, dockerRef(src), dockerRef(dst)], options);
}
