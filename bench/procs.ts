/**
 * Timed subprocesses: one library operation (`bench/op.ts`) or one
 * `skopeo copy`, each measured as wall time from spawn to exit. skopeo gets
 * a fresh HOME, auth file and registries.conf per run (made before the
 * clock starts), so no blob-info cache lets it mount instead of upload.
 *
 * @module
 */
import type { OpResult } from "./op.ts";

const OP_SCRIPT = new URL("./op.ts", import.meta.url).pathname;
const dec = new TextDecoder();

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
 */
export async function runOurs(
  op: "pull" | "push" | "upload",
  a: string,
  b: string,
  extraFlags: string[] = [],
): Promise<OursRun> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...extraFlags, OP_SCRIPT, op, a, b],
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
 * Runs `skopeo copy <src> <dst>` against a plain-HTTP registry and returns
 * its wall time in ms.
 *
 * @example
 * ```ts ignore
 * const ms = await runSkopeoCopy("docker://127.0.0.1:5000/a:v1", "oci:/tmp/l:t");
 * ```
 */
export async function runSkopeoCopy(src: string, dst: string): Promise<number> {
  const home = await Deno.makeTempDir({ prefix: "klaus-bench-skopeo-" });
  try {
    await Deno.writeTextFile(`${home}/registries.conf`, "");
    const tls = [
      ...(src.startsWith("docker://") ? ["--src-tls-verify=false"] : []),
      ...(dst.startsWith("docker://") ? ["--dest-tls-verify=false"] : []),
    ];
    const cmd = new Deno.Command("skopeo", {
      args: [
        "--insecure-policy",
        "--override-os",
        "linux",
        "--override-arch",
        "amd64",
        "copy",
        "--preserve-digests",
        ...tls,
        src,
        dst,
      ],
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
      stdout: "null",
      stderr: "piped",
    });
    const t0 = performance.now();
    const out = await cmd.output();
    const wallMs = performance.now() - t0;
    if (!out.success) {
      throw new Error(
        `skopeo copy ${src} ${dst} failed (${out.code}): ${
          dec.decode(out.stderr).trim()
        }`,
      );
    }
    return wallMs;
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
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
  const t0 = performance.now();
  const out = await c.output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(`${cmd} failed: ${dec.decode(out.stderr).trim()}`);
  }
  return { ms, stdout: dec.decode(out.stdout) };
}
