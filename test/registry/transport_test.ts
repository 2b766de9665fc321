import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { RegistryError, UnsafeUrlError } from "../../src/errors.ts";
import { TimeoutError } from "../../src/registry/timeout_error.ts";
import { Transport } from "../../src/registry/transport.ts";
import { DEFAULT_USER_AGENT } from "../../src/registry/user_agent.ts";
import { hang, startServer } from "../harness/faulty_registry.ts";
import { startHostileServer } from "../harness/hostile_server.ts";

const FAST = { baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 2_000 };

Deno.test("transport: sends the klaus-oci User-Agent", async () => {
  const s = startServer(() => new Response("ok"));
  try {
    const t = new Transport();
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
    });
    await response.body?.cancel();
    strictEqual(s.requests[0].headers.get("user-agent"), DEFAULT_USER_AGENT);
    ok(DEFAULT_USER_AGENT.startsWith("klaus-oci-ts/"));
    const custom = new Transport({ userAgent: "me/1" });
    await (await custom.send({ method: "HEAD", url: new URL(s.origin) }))
      .response.body?.cancel();
    strictEqual(s.requests[1].headers.get("user-agent"), "me/1");
  } finally {
    await s.close();
  }
});

Deno.test("transport: retries a 5xx burst and returns the success", async () => {
  let n = 0;
  const s = startServer(() =>
    ++n <= 3
      ? new Response("down", { status: [500, 502, 504][n - 1] })
      : new Response("ok")
  );
  try {
    const t = new Transport({ retry: FAST });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
    });
    strictEqual(response.status, 200);
    strictEqual(await response.text(), "ok");
    strictEqual(s.requests.length, 4);
  } finally {
    await s.close();
  }
});

Deno.test("transport: retries are bounded in count; the last response is returned", async () => {
  const s = startServer(() => new Response("down", { status: 503 }));
  try {
    const t = new Transport({ retry: { ...FAST, maxRetries: 2 } });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
    });
    await response.body?.cancel();
    strictEqual(response.status, 503);
    strictEqual(s.requests.length, 3);
  } finally {
    await s.close();
  }
});

Deno.test("transport: retries are bounded in total time", async () => {
  const s = startServer(() =>
    new Response("slow down", { status: 429, headers: { "retry-after": "1" } })
  );
  try {
    const t = new Transport({
      retry: { ...FAST, maxRetries: 10, maxElapsedMs: 500 },
    });
    const started = Date.now();
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
    });
    await response.body?.cancel();
    strictEqual(response.status, 429);
    // A 1 s wait does not fit into a 0.5 s budget: no retry at all, and
    // no wait before giving up (the bound leaves room for a loaded machine).
    strictEqual(s.requests.length, 1);
    ok(Date.now() - started < 950);
  } finally {
    await s.close();
  }
});

Deno.test("transport: 429 with Retry-After seconds is honoured", async () => {
  const times: number[] = [];
  const s = startServer(() => {
    times.push(Date.now());
    return times.length === 1
      ? new Response(null, { status: 429, headers: { "retry-after": "1" } })
      : new Response("ok");
  });
  try {
    // The backoff alone would wait ≤ 4 ms; Retry-After asks for 1 s, capped at 300 ms.
    const t = new Transport({ retry: { ...FAST, maxRetryAfterMs: 300 } });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
    });
    await response.body?.cancel();
    strictEqual(response.status, 200);
    const waited = times[1] - times[0];
    ok(waited >= 280, `waited ${waited} ms`);
    ok(waited < 1000, `waited ${waited} ms (cap not applied)`);
  } finally {
    await s.close();
  }
});

Deno.test("transport: 503 with Retry-After as an HTTP date is honoured", async () => {
  const times: number[] = [];
  const s = startServer(() => {
    times.push(Date.now());
    if (times.length > 1) return new Response("ok");
    const at = new Date(Date.now() + 1500).toUTCString(); // second precision
    return new Response(null, { status: 503, headers: { "retry-after": at } });
  });
  try {
    const t = new Transport({ retry: FAST });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
    });
    await response.body?.cancel();
    strictEqual(response.status, 200);
    const waited = times[1] - times[0];
    ok(waited >= 400, `waited ${waited} ms`);
  } finally {
    await s.close();
  }
});

Deno.test("transport: 4xx other than 408/429 is not retried", async () => {
  const s = startServer(() => new Response("no", { status: 404 }));
  try {
    const t = new Transport({ retry: FAST });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/x`),
    });
    await response.body?.cancel();
    strictEqual(response.status, 404);
    strictEqual(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("transport: network errors are retried, then reported as RegistryError", async () => {
  // A port nobody listens on: every attempt fails to connect.
  const s = startServer(() => new Response("x"));
  const origin = s.origin;
  await s.close();
  let attempts = 0;
  const t = new Transport({
    retry: { ...FAST, maxRetries: 2 },
    fetch: (input, init) => {
      attempts++;
      return fetch(input, init);
    },
  });
  await rejects(
    t.send({ method: "GET", url: new URL(`${origin}/v2/`) }),
    (e: unknown) => {
      ok(e instanceof RegistryError);
      ok(!(e instanceof TimeoutError), "a refused connection is no timeout");
      strictEqual(e.status, undefined);
      ok(e.message.startsWith(`GET "${origin}/v2/": `), e.message);
      return true;
    },
  );
  strictEqual(attempts, 3);
});

Deno.test("transport: a hanging server times out (and the timeout is retried)", async () => {
  const s = startServer((req) => hang(req, s.closed));
  try {
    const t = new Transport({
      timeoutMs: 100,
      retry: { ...FAST, maxRetries: 1 },
    });
    const started = Date.now();
    await rejects(
      t.send({ method: "GET", url: new URL(`${s.origin}/v2/`) }),
      (e: unknown) =>
        e instanceof TimeoutError && e instanceof RegistryError &&
        e.name === "TimeoutError" && e.timeoutMs === 100 &&
        /no response within 100 ms/.test(e.message),
    );
    strictEqual(s.requests.length, 2);
    ok(Date.now() - started < 2000);
  } finally {
    await s.close();
  }
});

Deno.test("transport: a body that stalls errors after the timeout", async () => {
  const s = startServer((req) => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        // More than a window's minimum, then nothing: whichever window the
        // first bytes land in (on a loaded machine, a later one), the next
        // brings no data. Fewer bytes would read as dripping.
        c.enqueue(new Uint8Array(4096));
      },
      pull() {
        return hang(req, s.closed).then(() => {});
      },
    });
    return new Response(body);
  });
  try {
    const t = new Transport({ timeoutMs: 150, retry: FAST });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/x/blobs/y`),
    });
    strictEqual(response.status, 200);
    await rejects(
      response.arrayBuffer(),
      (e: unknown) =>
        e instanceof TimeoutError && e.timeoutMs === 150 &&
        /no data for 150 ms/.test(e.message) &&
        e.message.startsWith(`GET "${s.origin}/v2/x/blobs/y"`),
    );
  } finally {
    await s.close();
  }
});

Deno.test("transport: a dripping body errors once a window brings too few bytes", async () => {
  await using server = await startHostileServer({ kind: "drip", dripMs: 20 });
  const t = new Transport({ timeoutMs: 300, retry: FAST });
  const { response } = await t.send({
    method: "GET",
    url: new URL(`${server.url}/v2/x/tags/list`),
  });
  const started = Date.now();
  await rejects(
    response.arrayBuffer(),
    (e: unknown) =>
      e instanceof TimeoutError && e.timeoutMs === 300 &&
      /less than 1024 \(dripping\)/.test(e.message),
  );
  ok(Date.now() - started < 2_000);
});

Deno.test("transport: a steady slow body is not a drip", async () => {
  // 2 KiB every 100 ms: well above 1 KiB per 300 ms of waiting.
  const s = startServer(() => {
    let n = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(c) {
          await new Promise((r) => setTimeout(r, 100));
          if (++n > 10) c.close();
          else c.enqueue(new Uint8Array(2048));
        },
      }),
    );
  });
  try {
    const t = new Transport({ timeoutMs: 300, retry: FAST });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
    });
    strictEqual((await response.arrayBuffer()).byteLength, 20_480);
  } finally {
    await s.close();
  }
});

Deno.test("transport: a slow consumer is not mistaken for a stalled server", async () => {
  const s = startServer(() => new Response(new Uint8Array(300_000)));
  try {
    const t = new Transport({ timeoutMs: 100, retry: FAST });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
    });
    const reader = response.body!.getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
      await new Promise((r) => setTimeout(r, 30));
    }
    strictEqual(n, 300_000);
  } finally {
    await s.close();
  }
});

Deno.test("transport: the caller's signal aborts without retrying", async () => {
  const s = startServer((req) => hang(req, s.closed));
  try {
    const t = new Transport({ retry: FAST });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await rejects(
      t.send({
        method: "GET",
        url: new URL(`${s.origin}/v2/`),
        signal: controller.signal,
      }),
      /stop/,
    );
    strictEqual(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("transport: a redirect to another origin drops Authorization", async () => {
  const storage = startServer(() => new Response("blob-bytes"));
  const reg = startServer((_req, url) =>
    url.pathname === "/v2/a/blobs/x"
      ? new Response(null, {
        status: 307,
        headers: { location: `${storage.origin}/store/x?sig=1` },
      })
      : new Response("same-origin")
  );
  try {
    const t = new Transport({ retry: FAST });
    const { response, url } = await t.send({
      method: "GET",
      url: new URL(`${reg.origin}/v2/a/blobs/x`),
      headers: { authorization: "Bearer secret-token" },
    });
    strictEqual(await response.text(), "blob-bytes");
    strictEqual(url.origin, storage.origin);
    strictEqual(
      reg.requests[0].headers.get("authorization"),
      "Bearer secret-token",
    );
    strictEqual(storage.requests.length, 1);
    strictEqual(storage.requests[0].headers.get("authorization"), null);
    strictEqual(storage.requests[0].path, "/store/x?sig=1");
  } finally {
    await storage.close();
    await reg.close();
  }
});

Deno.test("transport: a same-origin redirect keeps Authorization", async () => {
  const reg = startServer((_req, url) =>
    url.pathname === "/a"
      ? new Response(null, { status: 302, headers: { location: "/b" } })
      : new Response("b")
  );
  try {
    const t = new Transport({ retry: FAST });
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${reg.origin}/a`),
      headers: { authorization: "Basic xyz" },
    });
    strictEqual(await response.text(), "b");
    strictEqual(reg.requests[1].headers.get("authorization"), "Basic xyz");
  } finally {
    await reg.close();
  }
});

Deno.test("transport: redirects are capped at 10", async () => {
  const reg = startServer((_req, url) =>
    new Response(null, {
      status: 302,
      headers: { location: `/r${Number(url.pathname.slice(2) || 0) + 1}` },
    })
  );
  try {
    const t = new Transport({ retry: FAST });
    await rejects(
      t.send({ method: "GET", url: new URL(`${reg.origin}/r0`) }),
      (e: unknown) =>
        e instanceof UnsafeUrlError && /10 redirects/.test(e.message),
    );
    strictEqual(reg.requests.length, 11);
  } finally {
    await reg.close();
  }
});

Deno.test("transport: a redirect from https to http is refused", async () => {
  const seen: string[] = [];
  const fakeFetch: typeof fetch = (input) => {
    const url = String(input);
    seen.push(url);
    if (url.startsWith("https://reg.example/")) {
      return Promise.resolve(
        new Response(null, {
          status: 307,
          headers: { location: "http://storage.example/blob" },
        }),
      );
    }
    return Promise.resolve(new Response("plain"));
  };
  const t = new Transport({ fetch: fakeFetch, retry: FAST });
  await rejects(
    t.send({ method: "GET", url: new URL("https://reg.example/v2/a/blobs/x") }),
    (e: unknown) =>
      e instanceof UnsafeUrlError && /https to http/.test(e.message),
  );
  deepStrictEqual(seen, ["https://reg.example/v2/a/blobs/x"]);
});

Deno.test("transport: a stream body is sent once, never retried", async () => {
  const s = startServer(async (req) => {
    await req.arrayBuffer();
    return new Response("down", { status: 503 });
  });
  try {
    const t = new Transport({ retry: FAST });
    const { response } = await t.send({
      method: "PUT",
      url: new URL(`${s.origin}/upload`),
      body: new Blob(["abc"]).stream(),
    });
    await response.body?.cancel();
    strictEqual(response.status, 503);
    strictEqual(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("transport: a stream factory body is replayed on retry", async () => {
  const bodies: string[] = [];
  const s = startServer(async (req) => {
    bodies.push(await req.text());
    return bodies.length === 1
      ? new Response("down", { status: 502 })
      : new Response(null, { status: 201 });
  });
  try {
    let calls = 0;
    const t = new Transport({ retry: FAST });
    const { response } = await t.send({
      method: "PUT",
      url: new URL(`${s.origin}/upload`),
      body: () => {
        calls++;
        return new Blob(["abc"]).stream();
      },
    });
    strictEqual(response.status, 201);
    strictEqual(calls, 2);
    deepStrictEqual(bodies, ["abc", "abc"]);
  } finally {
    await s.close();
  }
});

Deno.test("transport: a 307 with a stream body is not followed", async () => {
  const s = startServer(async (req) => {
    await req.arrayBuffer();
    return new Response(null, { status: 307, headers: { location: "/other" } });
  });
  try {
    const t = new Transport({ retry: FAST });
    await rejects(
      t.send({
        method: "PUT",
        url: new URL(`${s.origin}/upload`),
        body: new Blob(["abc"]).stream(),
      }),
      (e: unknown) => e instanceof RegistryError && /redirect/.test(e.message),
    );
    strictEqual(s.requests.length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("transport: aborting while reading a body errors it with the caller's reason", async () => {
  const s = startServer((req) => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(10));
      },
      pull() {
        return hang(req, s.closed).then(() => {});
      },
    });
    return new Response(body);
  });
  try {
    const t = new Transport({ retry: FAST });
    const controller = new AbortController();
    const { response } = await t.send({
      method: "GET",
      url: new URL(`${s.origin}/v2/`),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    const reason = new Error("user gave up");
    setTimeout(() => controller.abort(reason), 20);
    await rejects(reader.read(), (e: unknown) => e === reason);
  } finally {
    await s.close();
  }
});
