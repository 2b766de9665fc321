/**
 * The command line without the runtime: parses arguments, runs one command
 * and maps the outcome to an exit code (0 success, 1 failure, 2 usage).
 * `main.ts` wires it to the runtime's stdio and environment (`_runtime.ts`)
 * and the library client.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { CliClient, CommandContext } from "./context.ts";
import { defaultBase, isKind, type Kind } from "./kind.ts";
import {
  AUTH_ENV,
  type CliClientOptions,
  clientOptions,
  type EnvGetter,
  FLAGS,
  type FlagValues,
  globalOptions,
} from "./options.ts";
import { Output, type Writer } from "./output.ts";
import {
  registerDockerConfigSecrets,
  registerUserInfoSecrets,
} from "../_redact.ts";
import { createProgress, type ProgressRenderer } from "./progress.ts";
import {
  type Command,
  commandsOf,
  helpText,
  PROGRAM,
  UsageError,
  usageLine,
} from "./usage.ts";

/**
 * What the command line needs from its host.
 */
export interface CliIo {
  /** Standard output. */
  stdout: Writer;
  /** Standard error. */
  stderr: Writer;
  /** Environment variables. */
  env: EnvGetter;
  /** Makes the library client for one run. */
  createClient(options: CliClientOptions): CliClient | Promise<CliClient>;
  /** The program version (`--version`). */
  version: string;
  /** Longest wait for background work before exit (ms, default 2000). */
  closeTimeoutMs?: number;
}

// Loaded on use: a describe never loads the archive and upload code, and
// `--version` or a usage error loads no command at all.
const COMMANDS: Record<Command, (ctx: CommandContext) => Promise<void>> = {
  list: async (ctx) => (await import("./list.ts")).listCommand(ctx),
  versions: async (ctx) => (await import("./versions.ts")).versionsCommand(ctx),
  describe: async (ctx) => (await import("./describe.ts")).describeCommand(ctx),
  resolve: async (ctx) => (await import("./resolve.ts")).resolveCommand(ctx),
  pull: async (ctx) => (await import("./pull.ts")).pullCommand(ctx),
  push: async (ctx) => (await import("./push.ts")).pushCommand(ctx),
};

/** Flags that belong to some commands only. */
const COMMAND_FLAGS: Partial<Record<keyof FlagValues, Command[]>> = {
  deps: ["describe"],
  "no-deps": ["describe"],
  referrers: ["describe"],
  "dry-run": ["push"],
  force: ["pull"],
  "sign-key": ["push"],
  sign: ["push"],
  "identity-token": ["push"],
  "fulcio-url": ["push"],
  "rekor-url": ["push"],
  "oidc-issuer": ["push"],
  "oidc-client-id": ["push"],
  verify: ["describe"],
  "verify-key": ["pull", "describe"],
  "certificate-identity": ["pull", "describe"],
  "certificate-identity-regexp": ["pull", "describe"],
  "certificate-oidc-issuer": ["pull", "describe"],
  "certificate-oidc-issuer-regexp": ["pull", "describe"],
  "trusted-root": ["pull", "describe"],
  "tuf-mirror-url": ["pull", "describe"],
  "tuf-root": ["pull", "describe"],
  "tuf-force-cache": ["pull", "describe"],
};

function isCommand(word: string | undefined): word is Command {
  return word !== undefined && Object.hasOwn(COMMANDS, word);
}

/**
 * Waits for `client.close()` at most `ms` milliseconds, so background cache
 * refreshes can finish without holding the exit hostage.
 */
export async function closeBounded(
  client: Pick<CliClient, "close">,
  ms: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.close().catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The kind and command a (possibly invalid) command line is about. */
function topicOf(argv: string[]): { kind?: Kind; command?: Command } {
  const { positionals } = parseArgs({
    args: argv,
    options: FLAGS,
    allowPositionals: true,
    strict: false,
  });
  const kind = isKind(positionals[0]) ? positionals[0] : undefined;
  const command = kind && isCommand(positionals[1])
    ? positionals[1]
    : undefined;
  return { kind, command };
}

interface Parsed {
  kind: Kind;
  command: Command;
  args: string[];
  flags: FlagValues;
}

/** Parses the command line; `string` results are help or version texts. */
function parse(argv: string[], version: string): Parsed | string {
  let values: FlagValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: FLAGS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message, topicOf(argv));
  }
  if (values.version) return `${PROGRAM} ${version}`;
  const [kindWord, commandWord, ...args] = positionals;
  if (kindWord === undefined) {
    if (values.help) return helpText({});
    throw new UsageError(
      "missing artifact kind (plugin, personality or toolchain)",
    );
  }
  if (!isKind(kindWord)) {
    if (kindWord === "help") return helpText({});
    throw new UsageError(
      `unknown artifact kind "${kindWord}" (want plugin, personality or toolchain)`,
    );
  }
  const kind = kindWord;
  if (commandWord === undefined) {
    if (values.help) return helpText({ kind });
    throw new UsageError("missing command", { kind });
  }
  if (!isCommand(commandWord) || !commandsOf(kind).includes(commandWord)) {
    if (commandWord === "help") return helpText({ kind });
    const what = isCommand(commandWord)
      ? `${kind} has no ${commandWord} command (toolchains are container images)`
      : `unknown command "${commandWord}" for ${kind}`;
    throw new UsageError(what, { kind });
  }
  const command = commandWord;
  if (values.help) return helpText({ kind, command });
  for (const [flag, only] of Object.entries(COMMAND_FLAGS)) {
    if (
      values[flag as keyof FlagValues] !== undefined && !only.includes(command)
    ) {
      throw new UsageError(`--${flag} applies to ${only.join(" and ")} only`, {
        kind,
        command,
      });
    }
  }
  return { kind, command, args, flags: values };
}

/** Stdout that first closes any progress block, so text is not overdrawn. */
function guardedStdout(stdout: Writer, progress?: ProgressRenderer): Writer {
  if (!progress) return stdout;
  return {
    write: (text) => {
      progress.finish();
      stdout.write(text);
    },
    get isTTY() {
      return stdout.isTTY;
    },
  };
}

/** Stderr that writes above the progress bars while they are shown. */
function guardedStderr(stderr: Writer, progress?: ProgressRenderer): Writer {
  if (!progress) return stderr;
  return {
    write: (text) => progress.interject(text),
    get isTTY() {
      return stderr.isTTY;
    },
  };
}

/**
 * Runs the command line `argv` (without the program name); resolves to the
 * exit code. Never throws.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const noColor = io.env("NO_COLOR");
  // Known before anything can fail: the env config and any `user:pw@` the
  // command line carries. The library registers what else it loads.
  registerDockerConfigSecrets(io.env(AUTH_ENV));
  for (const arg of argv) registerUserInfoSecrets(arg);
  const plain = new Output(io.stdout, io.stderr, { noColor });
  let parsed: Parsed | string;
  try {
    parsed = parse(argv, io.version);
  } catch (e) {
    return usageFailure(plain, e);
  }
  if (typeof parsed === "string") {
    plain.text(parsed);
    return 0;
  }
  const { kind, command, args, flags } = parsed;
  let globals;
  try {
    globals = globalOptions(flags, io.env);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return usageFailure(plain, new UsageError(message, { kind, command }));
  }
  const progress = command === "pull" || command === "push"
    ? createProgress(io.stderr, globals.quiet)
    : undefined;
  const out = new Output(
    guardedStdout(io.stdout, progress),
    guardedStderr(io.stderr, progress),
    { json: globals.json, noColor },
  );
  let client: CliClient | undefined;
  try {
    client = await io.createClient(
      clientOptions(globals, kind, progress && ((e) => progress.update(e))),
    );
    await COMMANDS[command]({
      kind,
      command,
      args,
      flags,
      globals,
      base: globals.registry ?? defaultBase(kind),
      client,
      out,
    });
    progress?.finish();
    return 0;
  } catch (e) {
    progress?.finish();
    if (e instanceof UsageError) return usageFailure(out, e);
    out.error(e instanceof Error ? e.message : String(e));
    return 1;
  } finally {
    if (client) await closeBounded(client, io.closeTimeoutMs ?? 2000);
  }
}

function usageFailure(out: Output, e: unknown): number {
  if (!(e instanceof UsageError)) {
    out.error(e instanceof Error ? e.message : String(e));
    return 1;
  }
  out.error(e.message);
  out.stderr(usageLine(e.topic));
  return 2;
}
