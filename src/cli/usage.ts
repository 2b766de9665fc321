/**
 * Help texts and the usage error (exit code 2).
 *
 * @module
 */

import { type Kind, KINDS } from "./kind.ts";

/** The program name help texts show. */
export const PROGRAM = "klaus-oci";

/**
 * A command line the program cannot run: unknown command or flag, missing
 * or extra arguments, a bad flag value. Reported with the usage of `topic`
 * and exit code 2.
 */
export class UsageError extends Error {
  /** The help text to print with it. */
  readonly topic: HelpTopic;

  /** Creates a usage error about `topic` (default: the whole program). */
  constructor(message: string, topic: HelpTopic = {}) {
    super(message);
    this.name = "UsageError";
    this.topic = topic;
  }
}

/**
 * What a help text is about: the program, a kind, or one command of a kind.
 */
export interface HelpTopic {
  /** The artifact kind. */
  kind?: Kind;
  /** The command. */
  command?: Command;
}

/**
 * A command name.
 */
export type Command =
  | "list"
  | "versions"
  | "describe"
  | "resolve"
  | "pull"
  | "push";

/**
 * The commands `kind` supports (toolchains are images: no pull or push).
 */
export function commandsOf(kind: Kind): Command[] {
  const read: Command[] = ["list", "versions", "describe", "resolve"];
  return kind === "toolchain" ? read : [...read, "pull", "push"];
}

interface CommandHelp {
  args: string;
  summary: string;
  details: string;
  /** Appended to `details` for personalities only. */
  personalityDetails?: string;
  flags: string[];
}

const REGISTRY_FLAG =
  "  --registry BASE     registry base short names expand against (default: the kind's base)";

const POLICY_FLAGS_HELP = [
  "  --verify-key FILE   accept a signature by this public key (SPKI PEM)",
  "  --certificate-identity ID\n" +
  "                      accept a keyless signature whose certificate names ID\n" +
  "                      (SAN email or URI; cosign's flag)",
  "  --certificate-identity-regexp RE\n" +
  "                      ... or an identity RE matches (whole)",
  "  --certificate-oidc-issuer URL\n" +
  "                      ... issued for this OIDC issuer (required with an identity)",
  "  --certificate-oidc-issuer-regexp RE\n" +
  "                      ... or an issuer RE matches (whole)",
  "  --trusted-root FILE\n" +
  "                      the sigstore trusted_root.json (Fulcio CAs, Rekor and CT\n" +
  "                      log keys) keyless signatures must chain to; without it,\n" +
  "                      as cosign, the one of sigstore's TUF repository (public\n" +
  "                      good by default), its metadata cached in <cache dir>/tuf",
  "  --tuf-mirror-url URL\n" +
  "                      the TUF repository the trusted root comes from (default\n" +
  "                      https://tuf-repo-cdn.sigstore.dev; another needs --tuf-root)",
  "  --tuf-root FILE     the TUF repository's initial root.json (default: the\n" +
  "                      embedded public-good root)",
  "  --tuf-force-cache   use cached TUF metadata that has not expired without\n" +
  "                      asking the mirror",
];

const COMMAND_HELP: Record<Command, CommandHelp> = {
  list: {
    args: "",
    summary:
      "list every artifact below the registry base with its latest version",
    details:
      "Lists the repositories below the base (the kind's default, or --registry BASE)\n" +
      "whose tags include a semantic version, with the highest version. Repositories\n" +
      "whose tags cannot be listed are skipped with a warning on stderr.",
    flags: [REGISTRY_FLAG],
  },
  versions: {
    args: "<name|repository>",
    summary: "list the semver tags of an artifact, highest first",
    details:
      "A bare name expands against the registry base; a repository (host/path or\n" +
      "ocidir://dir) is used as it is.",
    flags: [REGISTRY_FLAG],
  },
  describe: {
    args: "<ref>",
    summary: "show an artifact's metadata",
    details:
      "Reads the manifest annotations and config blob; nothing is downloaded to disk.\n" +
      "A short name expands against the registry base, and a missing or `latest` tag\n" +
      "resolves to the highest semver tag.",
    personalityDetails:
      "The personality's toolchain and plugins are described too: by default in text\n" +
      "output (--no-deps skips them), with --deps in --json output (as `dependencies`).\n" +
      "Dependencies that cannot be described are reported as warnings.",
    flags: [
      "  --deps              personality: resolve and describe its toolchain and plugins",
      "  --no-deps           personality: do not resolve dependencies (text output)",
      "  --referrers         list what is attached (signatures, SBOMs, attestations)",
      "  --verify            check its signatures under the policy below and show who\n" +
      "                      signed (identity and issuer, or key id), the transparency\n" +
      "                      log index, verified or why not; exit 1 when none verifies",
      ...POLICY_FLAGS_HELP,
      REGISTRY_FLAG,
    ],
  },
  resolve: {
    args: "<ref>",
    summary:
      "pin a reference: expand a short name, resolve a missing or `latest` tag",
    details:
      "Prints the fully qualified reference with the highest semver tag when the\n" +
      "reference has no tag or `latest`; pinned tags and digests are kept.",
    flags: [REGISTRY_FLAG],
  },
  pull: {
    args: "<ref> [dir]",
    summary: "download and extract an artifact into a directory",
    details:
      "Resolves the reference first (short names, missing or `latest` tags), then\n" +
      "extracts the content into dir (default ./<short name>). A directory that already\n" +
      "holds the same digest is left alone (reported as up-to-date, cached: true).\n" +
      "The content is prepared next to dir and swapped in only when complete; an\n" +
      "interrupted pull is repaired by the next one. A non-empty dir that no pull made\n" +
      "(no .oci-cache.json) is refused unless --force; ., the working directory, its\n" +
      "parents, / and the home directory are refused even with --force.\n" +
      "With a signature policy (--verify-key, or --certificate-identity and\n" +
      "--certificate-oidc-issuer) the artifact is refused unless a signature attached\n" +
      "to it verifies — unsigned, another key or identity, a tampered bundle, a\n" +
      "signature for another digest — before anything is extracted. Keyless\n" +
      "signatures chain to --trusted-root, else to the trusted root of sigstore's TUF\n" +
      "repository (fetched and verified once, cached in <cache dir>/tuf).",
    flags: [
      "  --force             replace a non-empty dir that no pull made (its content is lost)",
      ...POLICY_FLAGS_HELP,
      REGISTRY_FLAG,
    ],
  },
  push: {
    args: "<dir> <ref>",
    summary: "package a directory and push it under a tag",
    details:
      "A plugin directory must contain at least one of skills/, agents/, hooks/,\n" +
      "commands/, .mcp.json; a personality directory must hold a valid\n" +
      "personality.yaml. The reference must include a tag. Pushing over an existing\n" +
      "tag prints a warning and overwrites it.",
    flags: [
      "  --dry-run           validate only; push nothing",
      "  --sign-key FILE     sign it with this ECDSA P-256 private key (PKCS#8 PEM, or\n" +
      "                      cosign's encrypted key with COSIGN_PASSWORD): a sigstore\n" +
      "                      bundle attached as an OCI referrer, no transparency log",
      "  --sign              sign it keylessly (as cosign sign): a Fulcio certificate\n" +
      "                      for the identity of SIGSTORE_ID_TOKEN (without one, in a\n" +
      "                      terminal: sign in with a browser), the signature\n" +
      "                      recorded in Rekor, the bundle attached as a referrer",
      "  --identity-token FILE\n" +
      "                      --sign: read the OIDC identity token from FILE",
      "  --oidc-issuer URL   --sign without a token: sign in with this OIDC provider\n" +
      "                      (default https://oauth2.sigstore.dev/auth)",
      "  --oidc-client-id ID --sign without a token: the client id (default sigstore)",
      "  --fulcio-url URL    --sign: Fulcio (default https://fulcio.sigstore.dev)",
      "  --rekor-url URL     --sign: Rekor (default https://rekor.sigstore.dev)",
      REGISTRY_FLAG,
    ],
  },
};

const GLOBAL_FLAGS = `Global flags:
  --json              print exactly one JSON document on stdout
  --plain-http        talk http:// to the registries named here (a reference's
                      host, --registry); every other host stays https
  --cache-dir DIR     response cache directory (default $XDG_CACHE_HOME/klaus-oci,
                      else ~/.cache/klaus-oci)
  --no-cache          do not use the response cache
  --concurrency N     most registry operations at once (default 10)
  -q, --quiet         no progress bars
  -h, --help          show help
  --version           print the version

Environment:
  KLAUS_OCI_REGISTRY_AUTH   base64 Docker config JSON with registry credentials
                            (besides $DOCKER_CONFIG, ~/.docker/config.json,
                            $REGISTRY_AUTH_FILE and credential helpers)
  KLAUS_OCI_CACHE_DIR       cache directory (--cache-dir wins)
  KLAUS_OCI_NO_CACHE        1, true, yes or on: no cache (--cache-dir wins)
  COSIGN_PASSWORD           passphrase of an encrypted --sign-key
  SIGSTORE_ID_TOKEN         OIDC identity token for --sign (--identity-token wins;
                            no interactive browser sign-in)
  NO_COLOR                  no colours

References: host/path[:tag|@digest], a short name (name[:tag]) below the
registry base, or ocidir://DIR[:tag|@digest] for an OCI image layout on disk.

Exit codes: 0 success, 1 the operation failed, 2 usage error; 130 and 143
when SIGINT or SIGTERM interrupted the command.`;

/** `name args` of a command, as the command lists show it. */
function commandLeft(command: Command): string {
  return `${command} ${COMMAND_HELP[command].args}`.trimEnd();
}

/**
 * The command lists: each `name args` padded to one column (the longest
 * plus two spaces, the same in every list), then the summary.
 */
function commandLines(
  commands: Command[],
  suffix: (command: Command) => string = () => "",
): string[] {
  const all = Object.keys(COMMAND_HELP) as Command[];
  const width = Math.max(...all.map((c) => commandLeft(c).length)) + 2;
  return commands.map((c) =>
    `  ${commandLeft(c).padEnd(width)}${COMMAND_HELP[c].summary}${suffix(c)}`
  );
}

function programHelp(): string {
  const lines = [
    `${PROGRAM}: Klaus plugins, personalities and toolchains in OCI registries`,
    "",
    "Usage:",
    `  ${PROGRAM} <${KINDS.join("|")}> <command> [arguments] [flags]`,
    "",
    "Commands:",
  ];
  lines.push(
    ...commandLines(
      Object.keys(COMMAND_HELP) as Command[],
      (c) => c === "pull" || c === "push" ? " (plugin, personality)" : "",
    ),
  );
  lines.push(
    "",
    "Examples:",
    `  ${PROGRAM} plugin list`,
    `  ${PROGRAM} personality describe sre`,
    `  ${PROGRAM} plugin pull gs-base:v0.1.0 ./plugins/gs-base`,
    `  ${PROGRAM} plugin push ./my-plugin localhost:5000/plugins/my-plugin:v1.0.0 --plain-http`,
    "",
    GLOBAL_FLAGS,
  );
  return lines.join("\n");
}

function kindHelp(kind: Kind): string {
  const lines = [
    `Usage:`,
    `  ${PROGRAM} ${kind} <command> [arguments] [flags]`,
    "",
    "Commands:",
  ];
  lines.push(...commandLines(commandsOf(kind)));
  lines.push("", `Run '${PROGRAM} ${kind} <command> --help' for details.`);
  return lines.join("\n");
}

function commandHelp(kind: Kind, command: Command): string {
  const help = COMMAND_HELP[command];
  const flags = help.flags.filter((f) =>
    kind === "personality" || !f.includes("personality:")
  );
  const usage = `${PROGRAM} ${kind} ${command} ${help.args}`.trimEnd();
  return [
    `Usage:`,
    `  ${usage}${flags.length > 0 ? " [flags]" : ""}`,
    "",
    help.summary.charAt(0).toUpperCase() + help.summary.slice(1) + ".",
    "",
    help.details,
    ...(kind === "personality" && help.personalityDetails
      ? [help.personalityDetails]
      : []),
    "",
    "Flags:",
    ...flags,
    "",
    GLOBAL_FLAGS,
  ].join("\n");
}

/**
 * The help text of a topic.
 */
export function helpText(topic: HelpTopic): string {
  if (topic.kind === undefined) return programHelp();
  if (topic.command === undefined) return kindHelp(topic.kind);
  return commandHelp(topic.kind, topic.command);
}

/**
 * The short usage line(s) printed with a usage error.
 */
export function usageLine(topic: HelpTopic): string {
  const { kind, command } = topic;
  if (kind !== undefined && command !== undefined) {
    const usage = `${PROGRAM} ${kind} ${command} ${COMMAND_HELP[command].args}`
      .trimEnd();
    return `usage: ${usage} [flags]\nRun '${PROGRAM} ${kind} ${command} --help' for details.`;
  }
  if (kind !== undefined) {
    return `usage: ${PROGRAM} ${kind} <${
      commandsOf(kind).join("|")
    }> [arguments] [flags]\n` +
      `Run '${PROGRAM} ${kind} --help' for details.`;
  }
  return `usage: ${PROGRAM} <${
    KINDS.join("|")
  }> <command> [arguments] [flags]\n` +
    `Run '${PROGRAM} --help' for details.`;
}
