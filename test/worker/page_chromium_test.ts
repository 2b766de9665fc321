/**
 * The catalog page in headless Chromium (Debian's `chromium`), served by
 * the Deno entry against a real registry holding the examples and a plugin
 * whose metadata is markup: the artifacts are shown, the links lead to
 * working pages, registry-supplied markup stays text, no script runs, and
 * a phone-sized viewport does not scroll sideways.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { startRegistry } from "../harness/registry.ts";
import { missing } from "../harness/require.ts";
import { startServer } from "../../worker/deno_main.ts";
import { Browser } from "./cdp.ts";
import { seedRegistry } from "./seed_registry.ts";

Deno.test({
  name: "catalog page in headless Chromium",
  ignore: missing("docker-registry", "chromium"),
  async fn(t) {
    await using reg = await startRegistry({ mode: "open" });
    const pushed = await seedRegistry(reg.host);
    const env: Record<string, string> = {
      KLAUS_REGISTRY: reg.host,
      PLAIN_HTTP: "true",
      KLAUS_OCI_NO_CACHE: "1",
    };
    await using server = await startServer({
      port: 0,
      log: false,
      env: (n) => env[n],
    });
    // A phone.
    await using browser = await Browser.launchPhone();
    const noSideScroll = () =>
      browser.eval<boolean>(
        "document.documentElement.scrollWidth <= window.innerWidth",
      );

    await t.step("the catalog lists every artifact of every kind", async () => {
      await browser.goto(`${server.url}/`);
      equal(await browser.eval("document.title"), "Catalog · Klaus catalog");
      const cards = await browser.eval<string[][]>(
        `[...document.querySelectorAll("li.card")].map((li) => [li.dataset.kind, li.dataset.name])`,
      );
      const names = (kind: string) =>
        cards.filter(([k]) => k === kind).map(([, n]) => n).sort();
      deepStrictEqual(names("plugin"), [
        "churn",
        "example-docs",
        "example-git",
        "example-kubernetes",
        "markup-test",
      ]);
      deepStrictEqual(names("personality"), [
        "example-sre",
        "example-writer",
        "outsider",
      ]);
      deepStrictEqual(names("toolchain"), ["example-go"]);
      const text = await browser.eval<string>("document.body.innerText");
      ok(text.includes("Go toolchain for Klaus (example)"));
      ok(
        text.includes("Shows <b>bold</b> markup"),
        "markup shown as text on the catalog",
      );
      equal(
        await browser.eval("document.scripts.length"),
        0,
        "no script: works without JS",
      );
      equal(
        await browser.eval(
          `document.querySelectorAll("[data-verification]").length`,
        ),
        0,
        "no signature lines without a verification policy",
      );
      ok(await noSideScroll(), "no horizontal scrolling on a phone");
    });

    await t.step(
      "every link on the catalog leads to a working page",
      async () => {
        await browser.goto(`${server.url}/`);
        const hrefs = await browser.eval<string[]>(
          `[...new Set([...document.querySelectorAll("a[href]")].map((a) => a.href))]`,
        );
        ok(hrefs.length >= 12, `links: ${hrefs.length}`);
        for (const href of hrefs) {
          const url = new URL(href);
          equal(
            url.origin,
            new URL(server.url).origin,
            `${href} stays on the site`,
          );
          const res = await fetch(href);
          equal(res.status, 200, href);
          await res.body?.cancel();
        }
      },
    );

    await t.step(
      "clicking through: catalog → personality → its plugin → a version",
      async () => {
        await browser.goto(`${server.url}/`);
        await browser.navigation(() =>
          browser.eval(
            `document.querySelector('a[href="/personalities/example-sre"]').click()`,
          )
        );
        equal(
          await browser.eval("location.pathname"),
          "/personalities/example-sre",
        );
        equal(
          await browser.eval(
            `document.querySelector("h1").firstChild.textContent.trim()`,
          ),
          "example-sre",
        );
        const resolved = await browser.eval<string>(
          `document.querySelector("#resolved").innerText`,
        );
        const k8s = pushed["plugin/example-kubernetes:v0.2.0"];
        ok(resolved.includes(k8s.slice(0, 19)), resolved);
        ok(
          await browser.eval(
            `document.querySelector('#resolved code[title="${k8s}"]') !== null`,
          ),
          "full digest in the tooltip",
        );
        ok(await noSideScroll(), "detail page fits a phone");
        await browser.navigation(() =>
          browser.eval(
            `document.querySelector('#resolved a[href^="/plugins/example-kubernetes"]').click()`,
          )
        );
        equal(
          await browser.eval("location.pathname + location.search"),
          "/plugins/example-kubernetes?version=v0.2.0",
        );
        const components = await browser.eval<string>(
          `document.querySelector("#components").innerText`,
        );
        for (
          const c of [
            "kubectl-debugging",
            "helm-releases",
            "triage",
            "kubernetes",
          ]
        ) {
          ok(components.includes(c), `${c} in ${components}`);
        }
        await browser.navigation(() =>
          browser.eval(`document.querySelector('a[href="/#plugins"]').click()`)
        );
        equal(await browser.eval("location.pathname"), "/");
        await browser.goto(`${server.url}/plugins/example-git`);
        await browser.navigation(() =>
          browser.eval(
            `document.querySelector('#versions a[href$="version=v0.1.0"]').click()`,
          )
        );
        const digest = await browser.eval<string>(
          `document.querySelector("[data-digest]").textContent`,
        );
        equal(digest, pushed["plugin/example-git:v0.1.0"]);
        equal(
          await browser.eval(
            `document.querySelector('[aria-current="page"]').textContent`,
          ),
          "v0.1.0",
        );
      },
    );

    await t.step(
      "registry-supplied markup is shown as text, never run",
      async () => {
        await browser.goto(`${server.url}/plugins/markup-test`);
        const description = await browser.eval<string>(
          `document.querySelector("main p.description").textContent`,
        );
        equal(
          description,
          `Shows <b>bold</b> markup & "quotes" as text <script>document.title='pwned'</script>`,
        );
        equal(
          await browser.eval(
            `document.querySelectorAll("main b, main i, main script, main img").length`,
          ),
          0,
        );
        equal(
          await browser.eval("document.title"),
          "markup-test (plugin) · Klaus catalog",
        );
        const hrefs = await browser.eval<string[]>(
          `[...document.querySelectorAll("a")].map((a) => a.href)`,
        );
        ok(hrefs.every((h) => !h.startsWith("javascript:")), hrefs.join(" "));
        ok(
          (await browser.eval<string>("document.body.innerText")).includes(
            "javascript:alert(1)",
          ),
        );
      },
    );
  },
});
