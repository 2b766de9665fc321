/**
 * What the benchmark ran on: CPU, cores, memory, kernel, tool versions and
 * load, for the header of RESULTS.md.
 *
 * @module
 */

import { skopeoCacheIsolated } from "./procs.ts";

/** Facts about the machine and the tools. */
export interface MachineInfo {
  /** CPU model name. */
  cpu: string;
  /** Logical CPUs (`nproc`). */
  nproc: number;
  /** Total memory in MiB. */
  memoryMiB: number;
  /** Kernel release. */
  kernel: string;
  /** Deno version. */
  deno: string;
  /** skopeo version line. */
  skopeo: string;
  /** docker-registry version line. */
  registry: string;
  /** Whether skopeo ran with an empty blob-info cache (no mounts). */
  skopeoCacheIsolated: boolean;
  /** 1/5/15 minute load averages when the run started. */
  loadStart: number[];
  /** The commit measured (`abc1234 subject`), or `"unknown"` outside git. */
  commit: string;
  /** Uncommitted changes under `src/` (`git status --porcelain` lines). */
  srcChanges: number;
}

const REPO = new URL("../", import.meta.url).pathname;

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim() ||
      new TextDecoder().decode(out.stderr).trim();
    return text.split("\n")[0];
  } catch {
    return "not installed";
  }
}

async function srcChanges(): Promise<number> {
  try {
    const out = await new Deno.Command("git", {
      args: ["-C", REPO, "status", "--porcelain", "--", "src/"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return 0;
    return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean)
      .length;
  } catch {
    return 0;
  }
}

function procField(file: string, re: RegExp): string | undefined {
  try {
    return re.exec(Deno.readTextFileSync(file))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/**
 * Collects {@linkcode MachineInfo}.
 *
 * @example
 * ```ts ignore
 * console.log((await machineInfo()).cpu);
 * ```
 */
export async function machineInfo(): Promise<MachineInfo> {
  const memKiB = Number(
    procField("/proc/meminfo", /^MemTotal:\s+(\d+)/m) ?? NaN,
  );
  return {
    cpu: procField("/proc/cpuinfo", /^model name\s*:\s*(.+)$/m) ?? "unknown",
    nproc: navigator.hardwareConcurrency,
    memoryMiB: Math.round(memKiB / 1024),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    skopeo: await firstLine("skopeo", ["--version"]),
    registry: await firstLine("docker-registry", ["--version"]),
    skopeoCacheIsolated: await skopeoCacheIsolated(),
    loadStart: Deno.loadavg(),
    commit: (await firstLine("git", [
      "-C",
      REPO,
      "log",
      "-1",
      "--format=%h %s",
    ])) || "unknown",
    srcChanges: await srcChanges(),
  };
}
