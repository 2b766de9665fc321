import { startRegistry } from "../test/harness/registry.ts";
import { runSkopeoCopy } from "./procs.ts";
import { fileStream } from "../src/artifact/spool.ts";
import { vmHwm } from "./op.ts";
const layout = Deno.args[0];
const reg = await startRegistry({ mode: "open" });
try {
  const idx = JSON.parse(await Deno.readTextFile(`${layout}/index.json`));
  const man = JSON.parse(await Deno.readTextFile(`${layout}/blobs/sha256/${idx.manifests[0].digest.slice(7)}`));
  const layer = man.layers[0];
  const path = `${layout}/blobs/sha256/${layer.digest.slice(7)}`;
  let t = performance.now();
  await runSkopeoCopy(`oci:${layout}:t`, `docker://${reg.ref("fresh/sk", "v1")}`);
  console.log("skopeo into empty registry", (performance.now() - t).toFixed(0));
  t = performance.now();
  await runSkopeoCopy(`oci:${layout}:t`, `docker://${reg.ref("fresh/sk2", "v1")}`);
  console.log("skopeo second repo", (performance.now() - t).toFixed(0));
  const du = new Deno.Command("du", { args: ["-sh", `${reg.dir}/storage`], stdout: "piped" }).outputSync();
  console.log(new TextDecoder().decode(du.stdout));
  async function put(name: string, body: () => BodyInit | Promise<BodyInit>) {
    const t0 = performance.now();
    const post = await fetch(`${reg.url}/v2/fresh/${name}/blobs/uploads/`, { method: "POST" });
    await post.body?.cancel();
    const loc = new URL(post.headers.get("location")!, reg.url);
    loc.searchParams.set("digest", layer.digest);
    const b = await body();
    const r = await fetch(loc, { method: "PUT", body: b, headers: { "content-type": "application/octet-stream", "content-length": String(layer.size) }, duplex: "half" } as RequestInit);
    await r.body?.cancel();
    console.log(name, r.status, (performance.now() - t0).toFixed(0), "ms", "hwm", ((vmHwm() ?? 0) / 1048576).toFixed(0));
  }
  await put("bytes", () => Deno.readFile(path));
  await put("denofile", async () => (await Deno.open(path)).readable);
  await put("filestream", () => fileStream(path));
  await put("bytes2", () => Deno.readFile(path));
} finally { await reg.stop(); }
