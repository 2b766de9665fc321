/**
 * OCI content descriptors and manifest documents, as plain data.
 *
 * @module
 */

/**
 * An OCI content descriptor.
 *
 * @example
 * ```ts
 * import type { Descriptor } from "@klaus/oci";
 * const d: Descriptor = { mediaType: "application/json", digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2 };
 * console.log(d.size);
 * ```
 */
export interface Descriptor {
  /** Media type of the referenced content. */
  mediaType: string;
  /** Digest of the referenced content (`sha256:<hex>`). */
  digest: string;
  /** Size in bytes of the referenced content. */
  size: number;
  /** Optional annotations. */
  annotations?: Record<string, string>;
  /** Optional platform (image indexes). */
  platform?: Record<string, unknown>;
  /** Optional artifact type. */
  artifactType?: string;
}

/**
 * An OCI image manifest (or Docker v2 manifest) as decoded JSON.
 */
export interface ImageManifest {
  /** Always 2. */
  schemaVersion: number;
  /** The manifest media type, when present. */
  mediaType?: string;
  /** Artifact type, when present. */
  artifactType?: string;
  /** The config descriptor. */
  config?: Descriptor;
  /** Layer descriptors. */
  layers?: Descriptor[];
  /** Child manifests, when this is an image index. */
  manifests?: Descriptor[];
  /** Manifest annotations. */
  annotations?: Record<string, string>;
}
