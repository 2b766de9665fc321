/**
 * `resolve_ref.ts`: the pinned-reference parse of pull and push and the
 * trimming of `resolveArtifactRef`, with expected values from the Go
 * module (resolveArtifactRef, Pull and Push, and their error messages) and
 * oras-go's `ParseReference`.
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  parsePinnedRef,
  resolveArtifactRef,
} from "../../src/artifact/resolve_ref.ts";
import { Client } from "../../src/client.ts";
import { InvalidReferenceError, NotFoundError } from "../../src/errors.ts";
import type { OciStore, RepositoryRef } from "../../src/oci/store.ts";
import type { Reference } from "../../src/ref/reference_type.ts";

const D256 = "sha256:" + "0123456789abcdef".repeat(4);
const D384 = "sha384:" + "0123456789abcdef".repeat(6);
const D512 = "sha512:" + "0123456789abcdef".repeat(8);

// [ref, parsed]: oras-go accepts these, and so does pull.
const PINNED: [string, Reference][] = [
  ["example.com/repo:v1", {
    registry: "example.com",
    repository: "repo",
    tag: "v1",
  }],
  ["local_registry:5000/repo:v1", {
    registry: "local_registry:5000",
    repository: "repo",
    tag: "v1",
  }],
  [`example.com/repo@${D384}`, {
    registry: "example.com",
    repository: "repo",
    digest: D384,
  }],
  [`example.com/repo@${D512}`, {
    registry: "example.com",
    repository: "repo",
    digest: D512,
  }],
  [`example.com/repo:@${D256}`, {
    registry: "example.com",
    repository: "repo",
    digest: D256,
  }],
];

Deno.test("parsePinnedRef: references oras-go accepts", async (t) => {
  for (const [ref, want] of PINNED) {
    await t.step(ref, () => {
      deepStrictEqual(parsePinnedRef(ref, "a tag or digest"), want);
    });
  }
});

// [ref, what, message]. Go: `registry.ParseReference` gives an empty
// reference for `host/repo:`, `host/repo@` and `host/repo:v1@` (everything
// from `@` on is the reference), so pull says "must include a tag or
// digest" and push "must include a tag"; a malformed reference is
// `parsing reference "<ref>": …` once.
const ERRORS: [string, string, string][] = [
  [
    "example.com/repo:",
    "a tag or digest",
    'reference "example.com/repo:" must include a tag or digest',
  ],
  [
    "example.com/repo:",
    "a tag",
    'reference "example.com/repo:" must include a tag',
  ],
  [
    "example.com/repo@",
    "a tag or digest",
    'reference "example.com/repo@" must include a tag or digest',
  ],
  [
    "example.com/repo:v1@",
    "a tag or digest",
    'reference "example.com/repo:v1@" must include a tag or digest',
  ],
  [
    "example.com/repo",
    "a tag",
    'reference "example.com/repo" must include a tag',
  ],
  [
    "example.com/repo:.x",
    "a tag or digest",
    'parsing reference "example.com/repo:.x": invalid tag ".x"',
  ],
  [
    "gs-base:v1",
    "a tag or digest",
    'parsing reference "gs-base:v1": missing registry or repository',
  ],
  [
    "example.com/Repo:v1",
    "a tag",
    'parsing reference "example.com/Repo:v1": invalid repository "Repo"',
  ],
  [
    "example.com/repo@sha256:abc",
    "a tag or digest",
    'parsing reference "example.com/repo@sha256:abc": invalid digest "sha256:abc"',
  ],
  [
    "me:s3cret@r.test/repo:v1",
    "a tag",
    'parsing reference "***@r.test/repo:v1": invalid registry "***@r.test"',
  ],
];

Deno.test("parsePinnedRef: Go's messages, the prefix once (issue 12)", async (t) => {
  for (const [ref, what, message] of ERRORS) {
    await t.step(`${ref} (${what})`, () => {
      let caught: unknown;
      try {
        parsePinnedRef(ref, what);
      } catch (e) {
        caught = e;
      }
      ok(caught instanceof InvalidReferenceError, String(caught));
      strictEqual(caught.message, message);
    });
  }
});

Deno.test("pull and push report a bad reference once, before any network (issue 12)", async () => {
  const client = new Client();
  try {
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => client.pullPlugin("example.com/repo:.x", "/nonexistent/x"),
        'parsing reference "example.com/repo:.x": invalid tag ".x"',
      ],
      [
        () => client.pullPersonality("example.com/repo:", "/nonexistent/x"),
        'reference "example.com/repo:" must include a tag or digest',
      ],
      [
        () =>
          client.pushPlugin("/nonexistent", "example.com/Repo:v1", {
            name: "x",
          }),
        'parsing reference "example.com/Repo:v1": invalid repository "Repo"',
      ],
      [
        () =>
          client.pushPersonality("/nonexistent", "example.com/repo:", {
            name: "x",
          }),
        'reference "example.com/repo:" must include a tag',
      ],
    ];
    for (const [op, message] of cases) {
      await rejects(op(), (e: unknown) => {
        ok(e instanceof InvalidReferenceError, String(e));
        strictEqual(e.message, message);
        return true;
      });
    }
  } finally {
    await client.close();
  }
});

/** A store that knows the tags of a few repositories and nothing else. */
function tagStore(tags: Record<string, string[]>): OciStore {
  return {
    listTags(repo: RepositoryRef) {
      const list = tags[`${repo.registry}/${repo.repository}`];
      if (!list) return Promise.reject(new NotFoundError("name unknown"));
      return Promise.resolve({ tags: [...list] });
    },
  } as unknown as OciStore;
}

const BASE = "example.com/klaus-plugins";

Deno.test("resolveArtifactRef trims with Go's strings.TrimSpace (issue 12)", async (t) => {
  const store = tagStore({ [`${BASE}/gs-ae`]: ["v0.0.1", "v0.0.3"] });
  // [input, resolved]
  const cases: [string, string][] = [
    ["  gs-ae:v0.0.2  ", `${BASE}/gs-ae:v0.0.2`], // Go resolve_test
    ["\u0085gs-ae:v0.0.2\u0085", `${BASE}/gs-ae:v0.0.2`], // NEL is space
    ["\t\ngs-ae\u00a0", `${BASE}/gs-ae:v0.0.3`],
    // Go keeps a byte-order mark: it stays part of the name
    ["\ufeffgs-ae:v1", `${BASE}/\ufeffgs-ae:v1`],
    [`\u3000${BASE}/gs-ae:v2\u2028`, `${BASE}/gs-ae:v2`],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), async () => {
      strictEqual(await resolveArtifactRef(store, input, BASE), want);
    });
  }
  await t.step("only spaces: empty artifact reference", async () => {
    for (const input of ["", " \t\n", "\u0085", "\u2000\u3000"]) {
      await rejects(
        resolveArtifactRef(store, input, BASE),
        (e: unknown) => {
          ok(e instanceof InvalidReferenceError);
          strictEqual(e.message, "empty artifact reference");
          return true;
        },
      );
    }
  });
  await t.step("a lone byte-order mark is a name, not empty", async () => {
    // Go looks up `<base>/\ufeff`, whose name is invalid (String#trim would
    // have made it "empty artifact reference").
    await rejects(
      resolveArtifactRef(store, "\ufeff", BASE),
      (e: unknown) => {
        ok(e instanceof InvalidReferenceError, String(e));
        ok(
          e.message.startsWith(`listing tags for ${BASE}/\ufeff: `),
          e.message,
        );
        return true;
      },
    );
  });
});
