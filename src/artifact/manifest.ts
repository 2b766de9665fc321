/**
 * The OCI image manifest of a plugin or personality: writing it exactly as
 * the Go module does (so the same content gets the same digest), and
 * reading any manifest or index a registry returns for a Klaus reference.
 *
 * @module
 */
import type { Descriptor, ImageManifest } from "../oci/descriptor.ts";
import { MEDIA_TYPE_OCI_MANIFEST } from "../oci/media_types.ts";
import { type GoJsonValue, goMarshal } from "./go_json.ts";
import {
  decodeInt,
  type DecodePath,
  decodeSlice,
  decodeString,
  decodeStringMap,
  decodeStruct,
  type FieldDecoders,
  type JsonNode,
  parseGoJson,
  toPlainValue,
  typeError,
} from "./go_json_parse.ts";

function sortedMap(
  annotations: Readonly<Record<string, string>> | undefined,
): GoJsonValue | undefined {
  if (!annotations || Object.keys(annotations).length === 0) return undefined;
  return new Map(Object.entries(annotations));
}

function descriptorValue(d: Descriptor): GoJsonValue {
  // Go's ocispec.Descriptor field order; urls, data and platform are never
  // set on the descriptors a push writes.
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    annotations: sortedMap(d.annotations),
    artifactType: d.artifactType || undefined,
  };
}

/**
 * The manifest bytes for a config and one content layer, compact, with the
 * keys in Go's order (`schemaVersion`, `mediaType`, `config`, `layers`,
 * `annotations`), annotation keys sorted, and `annotations` left out when
 * there are none. No timestamp is added, so the manifest is a pure function
 * of its inputs.
 */
export function buildManifest(
  config: Descriptor,
  layer: Descriptor,
  annotations?: Readonly<Record<string, string>>,
): Uint8Array {
  return new TextEncoder().encode(goMarshal({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: descriptorValue(config),
    layers: [descriptorValue(layer)],
    annotations: sortedMap(annotations),
  }));
}

const PATH: DecodePath = { struct: "Manifest", field: "" };

function decodePlatform(
  node: JsonNode,
  prev: Record<string, unknown> | undefined,
  path: DecodePath,
): Record<string, unknown> | undefined {
  if (node.type === "null") return undefined;
  if (node.type !== "object") typeError(node, path, "v1.Platform");
  return { ...prev, ...(toPlainValue(node) as Record<string, unknown>) };
}

const DESCRIPTOR_FIELDS: FieldDecoders<Partial<Descriptor>> = {
  mediaType: decodeString,
  digest: decodeString,
  size: (node, prev, path) => decodeInt(node, prev, path, "int64"),
  annotations: decodeStringMap,
  platform: decodePlatform,
  artifactType: decodeString,
};

function decodeDescriptor(
  node: JsonNode,
  prev: Descriptor | undefined,
  path: DecodePath,
): Descriptor | undefined {
  const d = decodeStruct<Partial<Descriptor>>(
    node,
    prev,
    path,
    "v1.Descriptor",
    DESCRIPTOR_FIELDS,
  );
  return d &&
    {
      ...d,
      mediaType: d.mediaType ?? "",
      digest: d.digest ?? "",
      size: d.size ?? 0,
    };
}

function decodeDescriptors(
  node: JsonNode,
  prev: Descriptor[] | undefined,
  path: DecodePath,
): Descriptor[] | undefined {
  return decodeSlice(
    node,
    prev,
    path,
    "[]v1.Descriptor",
    (item, prevItem, p) =>
      decodeDescriptor(item, prevItem, p) ??
        { mediaType: "", digest: "", size: 0 },
  );
}

/**
 * Decodes an OCI image manifest, an image index, or their Docker
 * equivalents, as Go's decoder would into `ocispec.Manifest` (plus the
 * index's `manifests`): keys case-insensitive, unknown keys ignored, only
 * the first JSON value read. Legacy Klaus manifests (metadata in the config
 * blob, `org.opencontainers.image.*` annotations) decode without error.
 * Invalid JSON or wrongly typed fields throw {@linkcode InvalidArtifactError}.
 */
export function parseManifest(bytes: Uint8Array | string): ImageManifest {
  const node = parseGoJson(bytes, { allowTrailing: true });
  const decoded = decodeStruct<ImageManifest>(
    node,
    undefined,
    PATH,
    "v1.Manifest",
    {
      schemaVersion: (n, prev, path) => decodeInt(n, prev, path, "int"),
      mediaType: decodeString,
      artifactType: decodeString,
      config: decodeDescriptor,
      layers: decodeDescriptors,
      manifests: decodeDescriptors,
      annotations: decodeStringMap,
    },
  );
  return { ...decoded, schemaVersion: decoded?.schemaVersion ?? 0 };
}
