/**
 * A minimal Chrome DevTools Protocol driver for the page tests: starts
 * Debian's headless Chromium with a fresh profile, opens one page and
 * evaluates expressions in it. Only what the tests use.
 *
 * @module
 */

const CHROMIUM = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** A browser with one page. */
export class Browser implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #ws: WebSocket;
  #profile: string;
  #next = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Set<
    (method: string, params: unknown, session?: string) => void
  >();
  #session = "";
  #stderr: Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    ws: WebSocket,
    profile: string,
    stderr: Promise<void>,
  ) {
    this.#child = child;
    this.#ws = ws;
    this.#profile = profile;
    this.#stderr = stderr;
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) {
          p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        } else p?.resolve(msg.result);
      } else {
        for (const l of this.#listeners) {
          l(msg.method, msg.params, msg.sessionId);
        }
      }
    };
  }

  /** Starts Chromium headless and attaches to a blank page. */
  /** Launches Chromium showing pages as a phone (390×844, 2×, mobile). */
  static async launchPhone(): Promise<Browser> {
    const browser = await Browser.launch();
    await browser.page("Emulation.setDeviceMetricsOverride", {
      width: 390,
      height: 844,
      deviceScaleFactor: 2,
      mobile: true,
    });
    return browser;
  }

  static async launch(): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "klaus-chromium-" });
    const child = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        `--user-data-dir=${profile}`,
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const endpoint = Promise.withResolvers<string>();
    let log = "";
    const dec = new TextDecoder();
    const stderr = (async () => {
      for await (const chunk of child.stderr) {
        log = (log + dec.decode(chunk, { stream: true })).slice(-8192);
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(log);
        if (m) endpoint.resolve(m[1]);
      }
      endpoint.reject(
        new Error(`chromium exited without a DevTools endpoint:\n${log}`),
      );
    })();
    const timer = setTimeout(
      () => endpoint.reject(new Error(`chromium did not start:\n${log}`)),
      30_000,
    );
    let url: string;
    try {
      url = await endpoint.promise;
    } catch (e) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await stderr;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("DevTools WebSocket failed"));
    });
    const browser = new Browser(child, ws, profile, stderr);
    const { targetId } = await browser.send("Target.createTarget", {
      url: "about:blank",
    }) as {
      targetId: string;
    };
    const { sessionId } = await browser.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as {
      sessionId: string;
    };
    browser.#session = sessionId;
    await browser.page("Page.enable");
    await browser.page("Runtime.enable");
    return browser;
  }

  /** Sends a browser-level command. */
  send(
    method: string,
    params: unknown = {},
    sessionId?: string,
  ): Promise<unknown> {
    const id = this.#next++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    this.#pending.set(id, { resolve, reject });
    this.#ws.send(
      JSON.stringify({
        id,
        method,
        params,
        ...(sessionId ? { sessionId } : {}),
      }),
    );
    return promise;
  }

  /** Sends a command to the page. */
  page(method: string, params: unknown = {}): Promise<unknown> {
    return this.send(method, params, this.#session);
  }

  #event(method: string, ms: number): Promise<unknown> {
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const timer = setTimeout(() => {
      this.#listeners.delete(listener);
      reject(new Error(`no ${method} within ${ms} ms`));
    }, ms);
    const listener = (m: string, p: unknown, s?: string) => {
      if (m === method && s === this.#session) {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(p);
      }
    };
    this.#listeners.add(listener);
    return promise;
  }

  /** Navigates and waits for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = this.#event("Page.loadEventFired", 20_000);
    const r = await this.page("Page.navigate", { url }) as {
      errorText?: string;
    };
    if (r.errorText) throw new Error(`navigating to ${url}: ${r.errorText}`);
    await loaded;
  }

  /** Runs `action` (which starts a navigation) and waits for the load event. */
  async navigation(action: () => Promise<unknown>): Promise<void> {
    const loaded = this.#event("Page.loadEventFired", 20_000);
    await action();
    await loaded;
  }

  /** Evaluates an expression in the page and returns its JSON value. */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.page("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) {
      throw new Error(`evaluating ${expression}: ${r.exceptionDetails.text}`);
    }
    return r.result.value;
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    try {
      await this.send("Browser.close").catch(() => {});
    } finally {
      if (
        this.#ws.readyState === WebSocket.OPEN ||
        this.#ws.readyState === WebSocket.CONNECTING
      ) {
        const closed = new Promise((r) => this.#ws.onclose = r);
        this.#ws.close();
        await closed;
      }
      const timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* exited */ }
      }, 5000);
      await this.#child.status;
      clearTimeout(timer);
      await this.#stderr;
      await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
