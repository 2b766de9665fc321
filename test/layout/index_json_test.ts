import { deepStrictEqual, throws } from "node:assert/strict";
import { InvalidArtifactError } from "../../src/errors.ts";
import {
  emptyIndex,
  findTagged,
  type LayoutIndex,
  parseIndex,
  tagsOf,
  withTag,
  withUntagged,
} from "../../src/layout/index_json.ts";
import { ANNOTATION_REF_NAME } from "../../src/layout/mod.ts";
import type { Descriptor } from "../../src/oci/descriptor.ts";

const M = "application/vnd.oci.image.manifest.v1+json";
const dg = (c: string) => `sha256:${c.repeat(64)}`;
const plain = (c: string): Descriptor => ({
  mediaType: M,
  digest: dg(c),
  size: 1,
});
const tagged = (c: string, tag: string): Descriptor => ({
  ...plain(c),
  annotations: { [ANNOTATION_REF_NAME]: tag },
});
const idx = (...manifests: Descriptor[]): LayoutIndex => ({
  schemaVersion: 2,
  manifests,
});

Deno.test("findTagged: last holder of a tag wins", () => {
  const cases: [LayoutIndex, string, string | undefined][] = [
    [idx(), "v1", undefined],
    [idx(tagged("1", "v1")), "v1", dg("1")],
    [idx(tagged("1", "v1"), tagged("2", "v1")), "v1", dg("2")],
    [idx(tagged("1", "v1"), plain("2")), "v1", dg("1")],
    [idx(tagged("1", "v10")), "v1", undefined],
  ];
  for (const [index, tag, want] of cases) {
    deepStrictEqual(
      findTagged(index, tag)?.digest,
      want,
      JSON.stringify(index),
    );
  }
});

Deno.test("tagsOf: each tag once, in index order", () => {
  deepStrictEqual(
    tagsOf(
      idx(tagged("1", "b"), plain("2"), tagged("3", "a"), tagged("4", "b")),
    ),
    ["b", "a"],
  );
});

Deno.test("withTag: replace in place, append, drop covered untagged entries", () => {
  const cases: [
    string,
    LayoutIndex,
    Descriptor,
    string,
    string[],
    [string | undefined, string][],
  ][] = [
    ["append to empty", idx(), plain("1"), "v1", [], [["v1", dg("1")]]],
    [
      "replace in place",
      idx(tagged("1", "a"), tagged("2", "b"), tagged("3", "c")),
      plain("9"),
      "b",
      [],
      [["a", dg("1")], ["b", dg("9")], ["c", dg("3")]],
    ],
    [
      "duplicates collapse to the first position",
      idx(tagged("1", "a"), tagged("2", "b"), tagged("3", "a")),
      plain("9"),
      "a",
      [],
      [["a", dg("9")], ["b", dg("2")]],
    ],
    [
      "untagged entry of the same digest is dropped",
      idx(plain("9"), tagged("1", "a")),
      plain("9"),
      "b",
      [],
      [["a", dg("1")], ["b", dg("9")]],
    ],
    [
      "untagged children of a tagged index are dropped, tagged ones kept",
      idx(plain("2"), tagged("3", "x"), plain("4")),
      plain("9"),
      "multi",
      [dg("2"), dg("3")],
      [["x", dg("3")], [undefined, dg("4")], ["multi", dg("9")]],
    ],
  ];
  for (const [what, index, d, tag, children, want] of cases) {
    const got = withTag(index, d, tag, children).manifests.map((m) => [
      m.annotations?.[ANNOTATION_REF_NAME],
      m.digest,
    ]);
    deepStrictEqual(got, want, what);
  }
});

Deno.test("withTag keeps other annotations and unknown index fields", () => {
  const index = { ...idx(), annotations: { keep: "1" }, subject: { x: 1 } };
  const out = withTag(index, { ...plain("1"), annotations: { a: "b" } }, "v1");
  deepStrictEqual(out.annotations, { keep: "1" });
  deepStrictEqual(out.subject, { x: 1 });
  deepStrictEqual(out.manifests[0].annotations, {
    a: "b",
    [ANNOTATION_REF_NAME]: "v1",
  });
});

Deno.test("withUntagged adds only unlisted digests", () => {
  deepStrictEqual(withUntagged(idx(plain("1")), plain("1")), undefined);
  deepStrictEqual(withUntagged(idx(tagged("1", "v")), plain("1")), undefined);
  deepStrictEqual(withUntagged(idx(tagged("1", "v")), plain("2"))?.manifests, [
    tagged("1", "v"),
    plain("2"),
  ]);
});

Deno.test("parseIndex accepts layouts of other tools and refuses garbage", () => {
  const enc = new TextEncoder();
  deepStrictEqual(
    parseIndex(enc.encode('{"schemaVersion":2}'), "i").manifests,
    [],
  );
  deepStrictEqual(
    parseIndex(enc.encode(JSON.stringify(emptyIndex())), "i"),
    emptyIndex(),
  );
  for (
    const bad of [
      "",
      "null",
      "[]",
      "1",
      '{"manifests":"x"}',
      '{"manifests":[null]}',
      '{"manifests":[{"digest":"x"}]}',
    ]
  ) {
    throws(() => parseIndex(enc.encode(bad), "i"), InvalidArtifactError, bad);
  }
});
