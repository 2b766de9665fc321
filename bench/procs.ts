/**
 * Timed subprocesses: one library operation (`bench/op.ts`) or one
 * `skopeo copy`, each measured as wall time from spawn to exit. skopeo gets
 * a fresh HOME, auth file and registries.conf per run (made before the
 * clock starts), so no blob-info cache lets it mount instead of upload.
 *
 * @module
 */
import type { OpResult } from "./op.ts";

let trashDir: string | undefined;
let trashSeq = 0;

/**
 * Makes {@linkcode discard} move what it is given into `dir` (on the same
 * file system) instead of deleting it; `undefined` deletes again. The
 * benchmark deletes the trash once, after every measurement.
 *
 * Why: on a file system mounted with `discard` (ext4 on this VM's virtio
 * disk), deleting a pulled tree of thousands of files makes the kernel
 * TRIM the freed blocks when the journal commits, and for seconds after
 * that every file creation is slow — a tar -xzf of the text tree took
 * 0.5 s after no deletion and 3–4.5 s after one (`bench/RESULTS.md`).
 * Deleting between runs would charge that to whichever run comes next.
 *
 * @example
 * ```ts ignore
 * setTrash(`${root}/trash`);
 * ```
 */
export function setTrash(dir: string | undefined): void {
  trashDir = dir;
}

/**
 * Gets `path` out of the way: renamed into the trash when there is one
 * (see {@linkcode setTrash}), else deleted. A missing path is fine.
 *
 * @example
 * ```ts ignore
 * await discard("/tmp/klaus-bench-x/pull-3");
 * ```
 */
export async function discard(path: string): Promise<void> {
  if (trashDir) {
    try {
      await Deno.mkdir(trashDir, { recursive: true });
      await Deno.rename(path, `${trashDir}/${trashSeq++}`);
      return;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
    }
  }
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/**
 * `sync`: writes back what earlier runs left dirty, so it is not charged
 * to the run about to start (called before the clock starts).
 *
 * @example
 * ```ts ignore
 * await settle();
 * ```
 */
export async function settle(): Promise<void> {
  await new Deno.Command("sync", { stdout: "null", stderr: "null" }).output()
    .catch(() => {});
}

const OP_SCRIPT = new URL("./op.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/**
 * Credentials of a registry with Basic auth: a Docker config directory for
 * our side (`DOCKER_CONFIG`, read by the library's credential chain) and
 * the same user and password for skopeo's `--src-creds`/`--dest-creds`.
 */
export interface BenchAuth {
  /** User name. */
  username: string;
  /** Password. */
  password: string;
  /** A directory holding `config.json` with these credentials. */
  dockerConfigDir: string;
}

/** A library operation measured from outside and inside. */
export interface OursRun extends OpResult {
  /** Wall time of the whole process (runtime start + module load + op). */
  wallMs: number;
}

/**
 * Runs `deno run -A bench/op.ts <op> <a> <b>` and returns its report.
 *
 * @example
 * ```ts ignore
 * const r = await runOurs("pull", "127.0.0.1:5000/bench/p:v1", "/tmp/out");
 * console.log(r.ms, r.wallMs, r.peakRssBytes);
 * ```
 *
 * With `auth`, the process gets `DOCKER_CONFIG` pointing at its config.
 */
export async function runOurs(
  op: "pull" | "push" | "upload" | "pack",
  a: string,
  b: string,
  extraFlags: string[] = [],
  auth?: BenchAuth,
): Promise<OursRun> {
  await settle();
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...extraFlags, OP_SCRIPT, op, a, b],
    ...(auth ? { env: { DOCKER_CONFIG: auth.dockerConfigDir } } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - t0;
  if (!out.success) {
    throw new Error(
      `bench/op.ts ${op} ${a} ${b} failed (${out.code}):\n${
        dec.decode(out.stderr)
      }`,
    );
  }
  const line = dec.decode(out.stdout).trim().split("\n").pop()!;
  return { ...(JSON.parse(line) as OpResult), wallMs };
}

/**
 * As root, skopeo keeps its blob-info cache in `/var/lib/containers/cache`
 * whatever HOME says, and uses it to mount blobs it has seen in another
 * repository of the same registry instead of uploading them, which would
 * make its push time a no-op. Each run therefore gets an empty directory
 * bind-mounted over the deepest existing of these paths, in a private
 * mount namespace (`unshare --mount`), when that is possible.
 */
const CACHE_PARENTS = [
  "/var/lib/containers/cache",
  "/var/lib/containers",
  "/var/lib",
];

let isolation: string | null | undefined;

/** The path to hide skopeo's system cache under, or null when we cannot. */
async function cacheIsolation(): Promise<string | null> {
  if (isolation !== undefined) return isolation;
  isolation = null;
  if (Deno.uid() !== 0) return isolation; // rootless: HOME holds the cache
  const target = CACHE_PARENTS.find((p) => {
    try {
      return Deno.statSync(p).isDirectory;
    } catch {
      return false;
    }
  });
  if (!target) return isolation;
  const probe = await Deno.makeTempDir({ prefix: "klaus-bench-ns-" });
  try {
    const out = await new Deno.Command("unshare", {
      args: ["--mount", "--", "mount", "--bind", probe, target],
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.success) isolation = target;
  } catch {
    // no unshare
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
  return isolation;
}

/**
 * Whether skopeo runs with an empty blob-info cache (see above); `false`
 * means its push may mount instead of upload.
 *
 * @example
 * ```ts ignore
 * console.log(await skopeoCacheIsolated());
 * ```
 */
export async function skopeoCacheIsolated(): Promise<boolean> {
  return Deno.uid() !== 0 || (await cacheIsolation()) !== null;
}

/** skopeo's global flags: no policy file, the platform of the data. */
const SKOPEO_GLOBAL = [
  "--insecure-policy",
  "--override-os",
  "linux",
  "--override-arch",
  "amd64",
];

/**
 * `skopeo … copy --preserve-digests <tls and credential flags>`: the
 * arguments of a copy between `src` and `dst` before the two references.
 */
export function skopeoCopyArgs(
  src: string,
  dst: string,
  auth?: BenchAuth,
): string[] {
  const flags = [
    ...(src.startsWith("docker://") ? ["--src-tls-verify=false"] : []),
    ...(dst.startsWith("docker://") ? ["--dest-tls-verify=false"] : []),
  ];
  const creds = auth ? `${auth.username}:${auth.password}` : undefined;
  if (creds && src.startsWith("docker://")) flags.push("--src-creds", creds);
  if (creds && dst.startsWith("docker://")) flags.push("--dest-creds", creds);
  return [...SKOPEO_GLOBAL, "copy", "--preserve-digests", ...flags];
}

/**
 * Runs `program args…` the way every skopeo of the benchmark runs: a fresh
 * HOME with an empty auth file and registries.conf, a clean environment and,
 * as root, an empty blob-info cache (see above). Returns the wall time of
 * the process in ms (the set-up is made before the clock starts) and its
 * stdout; throws when it fails.
 *
 * @example
 * ```ts ignore
 * const { ms } = await runIsolated("skopeo", ["inspect", "--raw", "docker://…"]);
 * ```
 */
export async function runIsolated(
  program: string,
  args: string[],
): Promise<{ ms: number; stdout: string }> {
  const home = await Deno.makeTempDir({ prefix: "klaus-bench-skopeo-" });
  try {
    await Deno.writeTextFile(`${home}/registries.conf`, "");
    const hide = await cacheIsolation();
    const cacheDir = `${home}/blob-info-cache`;
    await Deno.mkdir(cacheDir);
    // In sh -c, $0 is the empty cache dir, $1 the path it hides, and after
    // `shift` "$@" is the command line.
    const [cmd, cmdArgs] = hide === null ? [program, args] : [
      "unshare",
      [
        "--mount",
        "--",
        "sh",
        "-c",
        'mount --bind "$0" "$1" && shift && exec "$@"',
        cacheDir,
        hide,
        program,
        ...args,
      ],
    ];
    const c = new Deno.Command(cmd, {
      args: cmdArgs,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: home,
        TMPDIR: home,
        XDG_RUNTIME_DIR: home,
        XDG_CONFIG_HOME: home,
        DOCKER_CONFIG: home,
        REGISTRY_AUTH_FILE: `${home}/auth.json`,
        CONTAINERS_REGISTRIES_CONF: `${home}/registries.conf`,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    await settle();
    const t0 = performance.now();
    const out = await c.output();
    const ms = performance.now() - t0;
    if (!out.success) {
      throw new Error(
        `${program} ${args.slice(-2).join(" ")} failed (${out.code}): ${
          dec.decode(out.stderr).trim()
        }`,
      );
    }
    return { ms, stdout: dec.decode(out.stdout) };
  } finally {
    await discard(home);
  }
}

/**
 * Runs `skopeo copy <src> <dst>` against a plain-HTTP registry and returns
 * its wall time in ms. With `auth`, the `docker://` side gets
 * `--src-creds`/`--dest-creds user:pass`.
 *
 * @example
 * ```ts ignore
 * const ms = await runSkopeoCopy("docker://127.0.0.1:5000/a:v1", "oci:/tmp/l:t");
 * ```
 */
export async function runSkopeoCopy(
  src: string,
  dst: string,
  auth?: BenchAuth,
): Promise<number> {
  const args = [...skopeoCopyArgs(src, dst, auth), src, dst];
  return (await runIsolated("skopeo", args)).ms;
}

/**
 * Runs `skopeo <args…>` (global flags first) as {@linkcode runIsolated}
 * does and returns its wall time in ms.
 *
 * @example
 * ```ts ignore
 * await runSkopeo(["inspect", "--raw", "--tls-verify=false", "docker://…"]);
 * ```
 */
export async function runSkopeo(args: string[]): Promise<number> {
  return (await runIsolated("skopeo", [...SKOPEO_GLOBAL, ...args])).ms;
}

/**
 * Wall time of `cmd args…` in ms (throws when it fails).
 *
 * @example
 * ```ts ignore
 * const ms = await timeCommand("sha256sum", ["/tmp/r.bin"]);
 * ```
 */
export async function timeCommand(
  cmd: string,
  args: string[],
): Promise<{ ms: number; stdout: string }> {
  const c = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  await settle();
  const t0 = performance.now();
  const out = await c.output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(`${cmd} failed: ${dec.decode(out.stderr).trim()}`);
  }
  return { ms, stdout: dec.decode(out.stdout) };
}
