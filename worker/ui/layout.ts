/**
 * The page shell of the catalog: small inline stylesheet, readable on a
 * phone, light and dark. Every value interpolated with `html` is escaped.
 *
 * @module
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** What the templates return. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--link:#0b5cad;--accent:#1a7f37}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;--link:#4493f8;--accent:#3fb950}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;border-bottom:1px solid var(--line)}
header a{color:inherit;text-decoration:none;font-weight:600}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.5rem 0}
a{color:var(--link)}
h1{font-size:1.6rem;margin:1rem 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:1rem 0 .25rem}
ul.cards{list-style:none;padding:0;margin:0;display:grid;gap:.75rem;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.75rem}
.card h3{margin:0}
.muted{color:var(--muted)}
.description{margin:.25rem 0}
.badge{display:inline-block;font-size:.8rem;border:1px solid var(--line);border-radius:1rem;padding:0 .5rem;margin-right:.25rem;white-space:nowrap}
.badge.current{border-color:var(--accent);color:var(--accent);font-weight:600}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}
dt{color:var(--muted)}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
ul.plain{padding-left:1.25rem;margin:.25rem 0}
.warning{border-left:4px solid #d29922;padding:.25rem .75rem;background:var(--card)}
.sig{font-size:.9rem;margin:.25rem 0;overflow-wrap:anywhere}
.sig-verified{color:var(--accent)}
.sig-unsigned{color:var(--muted)}
.sig-failed,.sig-error{border-left:4px solid #d29922;padding-left:.5rem}
footer{border-top:1px solid var(--line);margin-top:2rem;padding-bottom:2rem;font-size:.9rem}
`;

/**
 * A whole HTML document.
 *
 * @example
 * ```ts
 * import { html } from "hono/html";
 * import { page } from "./layout.ts";
 * console.log(String(await page("Catalog", html`<p>hi</p>`)).startsWith("<!doctype html>"));
 * ```
 */
export function page(title: string, body: Html): Html {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${title} · Klaus catalog</title>
        <style>${STYLE}</style>
      </head>
      <body>
        <header>
          <a href="/">Klaus catalog</a>
          <nav
            aria-label="Kinds"><a href="/#plugins">Plugins</a><a href="/#personalities">Personalities</a><a href="/#toolchains">Toolchains</a></nav>
        </header>
        <main>
    ${body}
        </main>
        <footer
          class="muted">Read-only view of the configured OCI registries · <a href="/openapi.json">API (OpenAPI)</a></footer>
      </body>
    </html>
  `;
}

/**
 * `url` when it is an absolute http(s) URL (safe as a link target), else
 * `undefined` — so registry-supplied `javascript:` URLs stay text.
 *
 * @example
 * ```ts
 * import { safeUrl } from "./layout.ts";
 * console.log(safeUrl("https://example.com"), safeUrl("javascript:alert(1)")); // https://example.com undefined
 * ```
 */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:"
      ? u.href
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A link when `url` is safe, else the text.
 *
 * @example
 * ```ts
 * import { link } from "./layout.ts";
 * console.log(String(await link("https://e.example/")));
 * ```
 */
export function link(url: string | undefined, text = url): Html {
  const safe = safeUrl(url);
  if (safe) {
    return html`<a href="${safe}" rel="nofollow noopener noreferrer">${text}</a>`;
  }
  return html`${text}`;
}

/**
 * A comma-separated list of badges, or a dash.
 *
 * @example
 * ```ts
 * import { badges } from "./layout.ts";
 * console.log(String(await badges(["a", "b"])));
 * ```
 */
export function badges(items: readonly string[] | undefined): Html {
  if (!items || items.length === 0) return html`<span class="muted">–</span>`;
  return html`${items.map((i) => html`<span class="badge">${i}</span>`)}`;
}
