/**
 * The HTML catalog: `/` lists every kind, `/{kind}/{name}` shows one
 * artifact. Built from the same cached answers as the JSON API.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { CacheStatus } from "../../src/cache/status.ts";
import { worstCacheStatus } from "../../src/cache/status.ts";
import type { AnswerState } from "../cache/http_cache.ts";
import type { ResolvedDependencies } from "../../src/artifact/types.ts";
import { ApiError, toApiError } from "../errors.ts";
import { type Kind, KINDS } from "../kinds.ts";
import { respond } from "../middleware/caching.ts";
import type { Answer } from "../services.ts";
import type { AppEnv } from "../types.ts";
import {
  catalogPage,
  type CatalogSection,
  detailPage,
  errorPage,
} from "../ui/pages.ts";
import type { Html } from "../ui/layout.ts";
import { checkName, checkVersion } from "../validate.ts";

/** Options of {@linkcode uiRoutes}. */
export interface UiOptions {
  /** Most artifacts per kind described on the catalog page (default 100). */
  describeLimit?: number;
  /** Most describes in flight at once (default 6, the Workers connection cap). */
  concurrency?: number;
}

class States {
  #status: CacheStatus | undefined;
  #age = 0;
  add(s: AnswerState): void {
    this.#status = this.#status
      ? worstCacheStatus(this.#status, s.status)
      : s.status;
    this.#age = Math.max(this.#age, s.ageMs ?? 0);
  }
  get state(): AnswerState {
    return { status: this.#status ?? "miss", ageMs: this.#age };
  }
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return out;
}

async function settle<T>(
  p: Promise<Answer<T>>,
  states: States,
  secrets: readonly string[],
): Promise<T | ApiError> {
  try {
    const a = await p;
    states.add(a.state);
    return a.value;
  } catch (e) {
    return toApiError(e, secrets);
  }
}

async function sendHtml(
  c: Context<AppEnv>,
  doc: Html,
  state: AnswerState,
): Promise<Response> {
  return respond(c, {
    body: String(await doc),
    contentType: "text/html; charset=UTF-8",
    state,
  });
}

async function sendError(c: Context<AppEnv>, err: unknown): Promise<Response> {
  const e = toApiError(err, c.get("secrets"));
  return c.html(String(await errorPage(e)), e.status, {
    "Cache-Control": "no-store",
  });
}

/**
 * The page routes.
 *
 * @example
 * ```ts
 * import { uiRoutes } from "./ui.ts";
 * console.log(uiRoutes().routes.length > 0);
 * ```
 */
export function uiRoutes(options: UiOptions = {}): Hono<AppEnv> {
  const limit = options.describeLimit ?? 100;
  const concurrency = options.concurrency ?? 6;
  const app = new Hono<AppEnv>();

  app.get("/", async (c) => {
    const services = c.get("services");
    const scheduler = c.get("scheduler");
    const secrets = c.get("secrets");
    const states = new States();
    const sections: CatalogSection[] = await Promise.all(
      KINDS.map(async (kind) => {
        const listed = await settle(
          services.list(kind, scheduler),
          states,
          secrets,
        );
        if (listed instanceof ApiError) return { kind, items: listed };
        const items = await mapLimited(
          listed,
          concurrency,
          async (entry, i) => {
            if (i >= limit) return { entry };
            const d = await settle(
              services.describe(
                kind,
                entry.name,
                entry.version || undefined,
                scheduler,
              ),
              states,
              secrets,
            );
            return { entry, described: d instanceof ApiError ? undefined : d };
          },
        );
        return { kind, items };
      }),
    );
    return sendHtml(c, catalogPage(sections), states.state);
  });

  for (const kind of KINDS) {
    app.get(`/${kind.path}/:name`, (c) => detail(c, kind));
  }
  return app;
}

async function detail(c: Context<AppEnv>, kind: Kind): Promise<Response> {
  try {
    const name = checkName(c.req.param("name") ?? "");
    const version = checkVersion(c.req.queries("version"));
    const services = c.get("services");
    const scheduler = c.get("scheduler");
    const secrets = c.get("secrets");
    const states = new States();
    const described = await services.describe(kind, name, version, scheduler);
    states.add(described.state);
    const [versions, deps] = await Promise.all([
      settle(services.versions(kind, name, scheduler), states, secrets),
      kind.name === "personality"
        ? settle<ResolvedDependencies>(
          services.deps(name, version, scheduler),
          states,
          secrets,
        )
        : Promise.resolve(undefined),
    ]);
    return await sendHtml(
      c,
      detailPage({
        kind,
        name,
        version,
        described: described.value,
        versions,
        deps,
        registries: services.registries,
      }),
      states.state,
    );
  } catch (e) {
    return sendError(c, e);
  }
}
