/**
 * The catalog page and the detail page of one artifact, rendered from the
 * same answers the JSON API gives. Registry-supplied strings are only ever
 * interpolated through `html`, which escapes them.
 *
 * @module
 */
import { html } from "hono/html";
import {
  type DescribedPlugin,
  type ListEntry,
  type Personality,
  type Plugin,
  type PluginReference,
  referenceString,
  type ResolvedDependencies,
  type ToolchainReference,
} from "../../src/artifact/types.ts";
import {
  repositoryFromRef,
  shortName,
  truncateDigest,
} from "../../src/ref/helpers.ts";
import type { ApiError } from "../errors.ts";
import type {
  ArtifactMeta,
  DescribedAny,
  Kind,
  RegistryBases,
} from "../kinds.ts";
import { KINDS, PLUGINS, TOOLCHAINS } from "../kinds.ts";
import { badges, type Html, link, page } from "./layout.ts";
import type { EdgeSignature, EdgeVerification } from "../verification.ts";

/** One listed artifact with its description, when that could be had. */
export interface CatalogItem {
  /** The listing entry. */
  entry: ListEntry;
  /** Its description at the listed version, if describing worked. */
  described?: DescribedAny;
}

/** One kind's section of the catalog. */
export interface CatalogSection {
  /** The kind. */
  kind: Kind;
  /** The artifacts, or the error listing them failed with. */
  items: CatalogItem[] | ApiError;
}

/** Everything a detail page shows. */
export interface DetailData {
  /** The kind. */
  kind: Kind;
  /** Short name. */
  name: string;
  /** The version asked for, if one was. */
  version?: string;
  /** The described artifact. */
  described: DescribedAny;
  /** Every tag (or the error listing them failed with). */
  versions: string[] | ApiError;
  /** A personality's resolved dependencies. */
  deps?: ResolvedDependencies | ApiError;
  /** Registry bases, to link dependencies to their pages. */
  registries: RegistryBases;
}

function detailHref(kind: Kind, name: string, version?: string): string {
  const base = `/${kind.path}/${encodeURIComponent(name)}`;
  return version ? `${base}?version=${encodeURIComponent(version)}` : base;
}

/** The verification of a described artifact (none without a policy). */
function verificationOfDescribed(
  d: DescribedAny | undefined,
): EdgeVerification | undefined {
  const v = d?.verification as EdgeVerification | undefined;
  return v && typeof v === "object" && typeof v.state === "string"
    ? v
    : undefined;
}

/** Who a signature names: `<identity> (<issuer>)` or `key <12 hex>`. */
function signer(s: EdgeSignature): string {
  if (s.identity) return s.issuer ? `${s.identity} (${s.issuer})` : s.identity;
  if (s.keyId) return `key ${s.keyId.slice(0, 12)}`;
  return "an unnamed signer";
}

const REASONS: Record<string, string> = {
  "wrong-key": "signed by no configured key",
  "wrong-identity": "signed by another identity or OIDC issuer",
  "untrusted": "the certificate or its log entry is not trusted",
  "tampered": "the signature does not match the manifest",
  "other-digest": "the signature is for another digest",
  "other": "the signature could not be checked",
};

/** One line saying who signed, for the catalog cards and detail pages. */
function signatureText(v: EdgeVerification): string {
  switch (v.state) {
    case "verified":
      return `signed by ${
        v.signatures.filter((s) => s.verified).map(signer).join(", ")
      }`;
    case "unsigned":
      return "unsigned";
    case "failed":
      return `signature does not verify: ${v.reason ?? "other"}`;
    default:
      return `signature not checked: ${v.message ?? "error"}`;
  }
}

/** The verification line, or nothing when the app does not verify. */
function signatureLine(d: DescribedAny | undefined, tag = "p"): Html {
  const v = verificationOfDescribed(d);
  if (!v) return "" as unknown as Html;
  const title = v.state === "failed" ? REASONS[v.reason ?? "other"] ?? "" : "";
  return tag === "p"
    ? html`
      <p class="sig sig-${v.state}" data-verification="${v.state}"
        title="${title}">${signatureText(v)}</p>
    `
    : html`
      <span class="sig sig-${v.state}" data-verification="${v.state}"
        title="${title}">${signatureText(v)}</span>
    `;
}

/** Every signature found, on the detail page (when there is more than one). */
function signatureList(d: DescribedAny): Html {
  const v = verificationOfDescribed(d);
  if (!v || v.signatures.length < 2) return "" as unknown as Html;
  return html`<ul class="plain">${
    v.signatures.map((s) =>
      html`<li data-signature="${s.referrer}">${signer(s)}: ${
        s.verified ? "verifies" : `does not verify (${s.reason ?? "other"})`
      }</li>`
    )
  }</ul>`;
}

function components(p: Plugin): Html {
  const rows: [string, string[] | undefined][] = [
    ["Skills", p.skills],
    ["Commands", p.commands],
    ["Agents", p.agents],
    ["MCP servers", p.mcpServers],
    ["LSP servers", p.lspServers],
  ];
  return html`<dl>${
    rows.map(([label, items]) =>
      html`
        <dt>${label}</dt>
        <dd>${badges(items)}</dd>
      `
    )
  }<dt>Hooks</dt><dd>${p.hasHooks ? "yes" : "no"}</dd></dl>`;
}

function summary(kind: Kind, d: DescribedAny | undefined): Html {
  if (!d) return html`<p class="muted">Details unavailable.</p>`;
  const m = kind.meta(d);
  const parts: Html[] = [];
  if (kind.name === "plugin") {
    const p = m as Plugin;
    const counts: [string, string, number][] = [
      ["skill", "skills", p.skills?.length ?? 0],
      ["command", "commands", p.commands?.length ?? 0],
      ["agent", "agents", p.agents?.length ?? 0],
      ["MCP server", "MCP servers", p.mcpServers?.length ?? 0],
      ["LSP server", "LSP servers", p.lspServers?.length ?? 0],
    ];
    for (const [one, many, n] of counts) {
      if (n > 0) {
        parts.push(
          html`<span class="badge">${n} ${n === 1 ? one : many}</span>`,
        );
      }
    }
    if (p.hasHooks) parts.push(html`<span class="badge">hooks</span>`);
  } else if (kind.name === "personality") {
    const p = m as Personality;
    if (p.toolchain?.repository) {
      parts.push(
        html`<span class="badge">toolchain ${
          shortName(p.toolchain.repository)
        }</span>`,
      );
    }
    const n = p.plugins?.length ?? 0;
    if (n > 0) {
      parts.push(
        html`<span class="badge">${n} plugin${n === 1 ? "" : "s"}</span>`,
      );
    }
  }
  return html`${
    m.description ? html`<p class="description">${m.description}</p>` : ""
  }${parts.length > 0 ? html`<p>${parts}</p>` : ""}`;
}

/**
 * The catalog page.
 *
 * @example
 * ```ts
 * import { catalogPage } from "./pages.ts";
 * console.log(typeof catalogPage);
 * ```
 */
export function catalogPage(sections: CatalogSection[]): Html {
  return page(
    "Catalog",
    html`
      <h1>Klaus catalog</h1>
      <p
        class="muted">Plugins, personalities and toolchains published to the configured OCI registries.</p>
      ${sections.map((s) =>
        html`<section id="${s.kind.path}" aria-labelledby="h-${s.kind.path}">
<h2 id="h-${s.kind.path}">${s.kind.title}</h2>
${
          Array.isArray(s.items)
            ? s.items.length === 0
              ? html`<p class="muted">None published.</p>`
              : html`<ul class="cards">${
                s.items.map((it) =>
                  html`<li class="card" data-kind="${s.kind.name}" data-name="${it.entry.name}">
<h3><a href="${
                    detailHref(s.kind, it.entry.name)
                  }">${it.entry.name}</a> <span class="badge">${it.entry.version}</span></h3>
${
                    summary(s.kind, it.described)
                  }${signatureLine(it.described)}
</li>`
                )
              }</ul>`
            : html`<p class="warning">Listing failed: ${s.items.message}</p>`
        }
</section>`
      )}
    `,
  );
}

function metaRows(d: DescribedAny, m: ArtifactMeta): Html {
  const author = m.author
    ? html`${m.author.name ?? ""}${
      m.author.email
        ? html`
          &lt;${m.author.email}&gt;
        `
        : ""
    }${
      m.author.url
        ? html`
          · ${link(m.author.url)}
        `
        : ""
    }`
    : "";
  return html`<dl>
<dt>Reference</dt><dd><code>${d.ref}</code></dd>
<dt>Digest</dt><dd><code data-digest>${d.digest}</code></dd>
${
    verificationOfDescribed(d)
      ? html`
        <dt>Signature</dt>
        <dd>${signatureLine(d, "span")}${signatureList(d)}</dd>
      `
      : ""
  }
${
    m.version
      ? html`
        <dt>Version</dt>
        <dd>${m.version}</dd>
      `
      : ""
  }
${
    m.author
      ? html`
        <dt>Author</dt>
        <dd>${author}</dd>
      `
      : ""
  }
${
    m.license
      ? html`
        <dt>License</dt>
        <dd>${m.license}</dd>
      `
      : ""
  }
${
    m.homepage
      ? html`
        <dt>Homepage</dt>
        <dd>${link(m.homepage)}</dd>
      `
      : ""
  }
${
    m.repository
      ? html`
        <dt>Source</dt>
        <dd>${link(m.repository)}</dd>
      `
      : ""
  }
${
    m.keywords?.length
      ? html`
        <dt>Keywords</dt>
        <dd>${badges(m.keywords)}</dd>
      `
      : ""
  }
</dl>`;
}

/** The page path of a dependency, when it lives under the configured base. */
function dependencyHref(
  kind: Kind,
  d: PluginReference | ToolchainReference,
  base: string,
): string | undefined {
  let rest = d.repository;
  if (rest.includes("/")) {
    if (!rest.startsWith(`${base}/`)) return undefined;
    rest = rest.slice(base.length + 1);
    if (rest.includes("/")) return undefined;
  }
  return detailHref(kind, rest, d.digest || d.tag || undefined);
}

function dependencyItem(
  kind: Kind,
  d: PluginReference | ToolchainReference,
  base: string,
): Html {
  const text = referenceString(d);
  const href = dependencyHref(kind, d, base);
  return href
    ? html`<a href="${href}"><code>${text}</code></a>`
    : html`<code>${text}</code>`;
}

function resolvedSection(
  deps: ResolvedDependencies | ApiError | undefined,
): Html {
  if (!deps) return "" as unknown as Html;
  if (!("plugins" in deps)) {
    return html`<p class="warning">Resolving dependencies failed: ${deps.message}</p>`;
  }
  const plugin = (p: DescribedPlugin) =>
    html`<li><a href="${
      detailHref(
        PLUGINS,
        shortName(repositoryFromRef(p.ref)),
        p.tag || p.digest,
      )
    }">${
      p.plugin.name || shortName(repositoryFromRef(p.ref))
    }</a> <span class="badge">${p.tag || "digest"}</span> ${
      shortDigest(p.digest)
    }${
      p.plugin.description
        ? html`
          — ${p.plugin.description}
        `
        : ""
    }</li>`;
  return html`<section id="resolved"><h2>Resolved dependencies</h2>
<h3>Toolchain</h3>
${
    deps.toolchain
      ? html`<p><a href="${
        detailHref(
          TOOLCHAINS,
          shortName(repositoryFromRef(deps.toolchain.ref)),
          deps.toolchain.tag || deps.toolchain.digest,
        )
      }">${
        deps.toolchain.toolchain.name ||
        shortName(repositoryFromRef(deps.toolchain.ref))
      }</a> <span class="badge">${deps.toolchain.tag || "digest"}</span> ${
        shortDigest(deps.toolchain.digest)
      }${
        deps.toolchain.toolchain.description
          ? html`
            — ${deps.toolchain.toolchain.description}
          `
          : ""
      }</p>`
      : html`<p class="muted">None resolved.</p>`
  }
<h3>Plugins</h3>
${
    deps.plugins.length > 0
      ? html`<ul class="plain">${deps.plugins.map(plugin)}</ul>`
      : html`<p class="muted">None resolved.</p>`
  }
${
    deps.warnings.length > 0
      ? html`
        <h3>Warnings</h3>
        <ul class="plain warning">${deps.warnings.map((w) =>
          html`<li>${w}</li>`
        )}</ul>
      `
      : ""
  }
</section>`;
}

/** A digest shortened for lists, whole in the tooltip. */
function shortDigest(digest: string): Html {
  return html`<code title="${digest}">${truncateDigest(digest)}</code>`;
}

/**
 * The detail page of one artifact.
 *
 * @example
 * ```ts
 * import { detailPage } from "./pages.ts";
 * console.log(typeof detailPage);
 * ```
 */
export function detailPage(data: DetailData): Html {
  const { kind, name, described } = data;
  const m = kind.meta(described);
  const current = described.tag || described.digest;
  const versions = Array.isArray(data.versions)
    ? data.versions.length > 0
      ? html`<p>${
        data.versions.map((v) =>
          html`
            <a class="badge${v === current
              ? " current"
              : ""}" href="${detailHref(kind, name, v)}" ${v === current
              ? html`
                aria-current="page"
              `
              : ""}>${v}</a>
          `
        )
      }</p>`
      : html`<p class="muted">No tags.</p>`
    : html`<p class="warning">Listing versions failed: ${data.versions.message}</p>`;
  let body: Html = "" as unknown as Html;
  if (kind.name === "plugin") {
    body = html`<section id="components"><h2>Components</h2>${
      components(m as Plugin)
    }</section>`;
  } else if (kind.name === "personality") {
    const p = m as Personality;
    body = html`
      <section id="declared">
        <h2>Declared dependencies</h2>
        <dl>
          <dt>Toolchain</dt>
          <dd>${p.toolchain?.repository
            ? dependencyItem(TOOLCHAINS, p.toolchain, data.registries.toolchain)
            : html`<span class="muted">–</span>`}</dd>
          <dt>Plugins</dt>
          <dd>${p.plugins?.length
            ? html`<ul class="plain">${
              p.plugins.map((d) =>
                html`<li>${
                  dependencyItem(PLUGINS, d, data.registries.plugin)
                }</li>`
              )
            }</ul>`
            : html`<span class="muted">–</span>`}</dd>
        </dl>
      </section>
      ${resolvedSection(data.deps)}
    `;
  }
  const api = `/v1/${kind.path}/${encodeURIComponent(name)}${
    data.version ? `?version=${encodeURIComponent(data.version)}` : ""
  }`;
  return page(
    `${m.name || name} (${kind.name})`,
    html`<p class="muted"><a href="/#${kind.path}">${kind.title}</a></p>
<h1>${m.name || name} <span class="badge">${
      described.tag || "digest"
    }</span></h1>
${m.description ? html`<p class="description">${m.description}</p>` : ""}
${metaRows(described, m)}
${body}
<section id="versions"><h2>Versions</h2>${versions}</section>
<p class="muted"><a href="${api}">JSON</a></p>`,
  );
}

/**
 * An error page with the API error's message.
 *
 * @example
 * ```ts
 * import { ApiError } from "../errors.ts";
 * import { errorPage } from "./pages.ts";
 * console.log(String(await errorPage(new ApiError(404, "not_found", "gone"))).includes("gone"));
 * ```
 */
export function errorPage(e: ApiError): Html {
  return page(
    `Error ${e.status}`,
    html`
      <h1>Error ${e.status}</h1>
      <p class="warning">${e.message}</p>
      <p><a href="/">Back to the catalog</a></p>
    `,
  );
}

export { KINDS };
