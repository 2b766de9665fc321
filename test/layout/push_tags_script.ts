/**
 * Pushes `count` tags `w<worker>-<i>` of small artifacts into the layout at
 * a path relative to the working directory. Run as a subprocess by
 * concurrent_process_test.ts to race several processes on one index.json.
 *
 * Usage: deno run -A push_tags_script.ts <layout dir> <worker> <count>
 */
import { LayoutStore } from "../../src/layout/mod.ts";
import { makeArtifact, pushArtifact } from "./layout_fixture.ts";

const [dir, worker, count] = Deno.args;
const store = new LayoutStore();
// All workers push the same shared artifact too, so blob writes race as well.
const shared = await makeArtifact("shared");
for (let i = 0; i < Number(count); i++) {
  const own = await makeArtifact(`w${worker}-${i}`);
  await pushArtifact(store, dir, i % 2 === 0 ? own : shared, [
    `w${worker}-${i}`,
  ]);
}
