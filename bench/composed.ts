/**
 * The composed workflow: what a user without this tool runs to publish a
 * directory as an OCI artifact, and to get it back, with standard tools.
 *
 * Push ({@linkcode COMPOSED_PUSH}), timed as one `sh` process:
 *
 * ```sh
 * tar -czf layer.tgz -C "$dir" .          # tar + gzip -6 (two processes)
 * sha256sum layer.tgz                     # the layer digest
 * # an OCI layout: oci-layout, index.json, the manifest, the config, the blob
 * skopeo copy oci:L:t docker://…          # upload
 * ```
 *
 * The config blob is the one our push made for the same tree (a user
 * writes it once by hand); the layout is written by a few lines of shell
 * (`printf`, `sha256sum`, `stat`), the layer moved into it, not copied.
 *
 * Pull ({@linkcode COMPOSED_PULL}): `skopeo copy docker://… dir:D` then
 * `tar -xzf D/<layer> -C <dest>` (the layer is the manifest's last digest).
 *
 * skopeo runs exactly as in the skopeo-only runs (`procs.ts`: fresh HOME,
 * empty blob-info cache, same flags).
 *
 * @module
 */

/**
 * `sh -c COMPOSED_PUSH <dir> <work> <config> <configMediaType>
 * <layerMediaType> <dest> <skopeo args…>`: packs `dir`, hashes it, writes
 * an OCI layout under `<work>/L` tagged `t` and runs
 * `skopeo <skopeo args…> oci:<work>/L:t <dest>` (the args end with `copy`
 * and its flags). `<work>` must exist and be empty.
 */
export const COMPOSED_PUSH = `set -eu
dir=$0 work=$1 config=$2 config_mt=$3 layer_mt=$4 dest=$5
shift 5
cd "$work"
tar -czf layer.tgz -C "$dir" .
layer=$(sha256sum layer.tgz | cut -d' ' -f1)
layer_size=$(stat -c %s layer.tgz)
cfg=$(sha256sum "$config" | cut -d' ' -f1)
cfg_size=$(stat -c %s "$config")
mkdir -p L/blobs/sha256
mv layer.tgz "L/blobs/sha256/$layer"
cp "$config" "L/blobs/sha256/$cfg"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"%s","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"%s","digest":"sha256:%s","size":%s}]}' \\
  "$config_mt" "$cfg" "$cfg_size" "$layer_mt" "$layer" "$layer_size" > manifest.json
man=$(sha256sum manifest.json | cut -d' ' -f1)
man_size=$(stat -c %s manifest.json)
mv manifest.json "L/blobs/sha256/$man"
printf '{"imageLayoutVersion":"1.0.0"}' > L/oci-layout
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' \\
  "$man" "$man_size" > L/index.json
skopeo "$@" "oci:$work/L:t" "$dest"
`;

/**
 * `sh -c COMPOSED_PULL <src> <work> <dest> <skopeo args…>`: runs
 * `skopeo <skopeo args…> <src> dir:<work>/D`, then extracts the layer (the
 * last digest of the manifest) into `<dest>`, which it creates.
 */
export const COMPOSED_PULL = `set -eu
src=$0 work=$1 dest=$2
shift 2
skopeo "$@" "$src" "dir:$work/D"
layer=$(tr -d ' \\n\\t' < "$work/D/manifest.json" | sed 's/.*"digest":"sha256:\\([0-9a-f]*\\)".*/\\1/')
mkdir -p "$dest"
tar -xzf "$work/D/$layer" -C "$dest"
`;
