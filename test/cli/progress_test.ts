import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { ProgressEvent } from "../../src/oci/store.ts";
import {
  createProgress,
  formatBytes,
  formatDuration,
  ProgressRenderer,
  renderBar,
} from "../../src/cli/progress.ts";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);
const LAYER = "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip";
const CONFIG = "application/vnd.giantswarm.klaus-plugin.config.v1+json";

/** A terminal that records writes; `screen()` replays the escapes used. */
class FakeTty {
  writes: string[] = [];
  readonly isTTY = true;
  constructor(readonly columns = 100) {}
  write(text: string) {
    this.writes.push(text);
  }
  get all(): string {
    return this.writes.join("");
  }
  /** Emulates \r, \x1b[2K, \x1b[nA, \x1b[0J and \n on a line buffer. */
  screen(): string[] {
    const lines: string[] = [""];
    let row = 0;
    const s = this.all;
    for (let i = 0; i < s.length; i++) {
      if (s[i] === "\x1b") {
        // deno-lint-ignore no-control-regex
        const m = /^\x1b\[(\d*)([AJK])/.exec(s.slice(i));
        if (!m) throw new Error(`unknown escape at ${i}`);
        const n = Number(m[1] || "0");
        if (m[2] === "A") row = Math.max(0, row - n);
        if (m[2] === "K") lines[row] = "";
        if (m[2] === "J") lines.splice(row + 1), lines[row] = "";
        i += m[0].length - 1;
      } else if (s[i] === "\r") {
        // column 0: the next write replaces the line (after a clear)
      } else if (s[i] === "\n") {
        row++;
        if (lines[row] === undefined) lines[row] = "";
      } else {
        lines[row] += s[i];
      }
    }
    return lines.filter((l, i) => l !== "" || i < row);
  }
}

function ev(partial: Partial<ProgressEvent>): ProgressEvent {
  return {
    direction: "pull",
    digest: D1,
    mediaType: LAYER,
    transferred: 0,
    total: 1000,
    done: false,
    ...partial,
  };
}

Deno.test("formatBytes and formatDuration", () => {
  const bytes: [number, string][] = [
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [5 * 1024 * 1024, "5.0 MiB"],
    [3 * 1024 ** 3, "3.0 GiB"],
  ];
  for (const [n, want] of bytes) equal(formatBytes(n), want);
  const durations: [number, string][] = [
    [0, "0s"],
    [0.2, "1s"],
    [59, "59s"],
    [60, "1m00s"],
    [187, "3m07s"],
    [7500, "2h05m"],
  ];
  for (const [s, want] of durations) equal(formatDuration(s), want);
});

Deno.test("renderBar: bar, percentage, bytes, rate, ETA; fits the width", () => {
  const bar = {
    label: "layer  111111111111",
    transferred: 512 * 1024,
    total: 2 * 1024 * 1024,
    startedAt: 0,
    done: false,
    skipped: false,
  };
  const line = renderBar(bar, 1000, 100);
  ok(line.length <= 100);
  ok(line.startsWith("layer  111111111111 ["), line);
  ok(line.includes(" 25% "), line);
  ok(line.includes("512.0 KiB/2.0 MiB"), line);
  ok(line.includes("512.0 KiB/s"), line);
  ok(line.includes("ETA 3s"), line);
  const done = renderBar(
    { ...bar, transferred: bar.total, done: true, updatedAt: 2000 },
    9000,
    100,
  );
  ok(done.includes("100%") && done.endsWith("done"), done);
  ok(done.includes("1.0 MiB/s"), "rate measured until the last event");
  // The fields after the bar keep their width, so the bar does not move.
  equal(
    renderBar(bar, 1000, 100).indexOf("]"),
    renderBar({ ...bar, transferred: 1 }, 1000, 100).indexOf("]"),
  );
  const narrow = renderBar(bar, 1000, 50);
  ok(!narrow.includes("["), "no room: no bar");
  ok(narrow.length <= 50);
  const unknownTotal = renderBar({ ...bar, total: 0 }, 1000, 100);
  ok(
    !unknownTotal.includes("%") && unknownTotal.includes("512.0 KiB"),
    unknownTotal,
  );
  equal(
    renderBar({ ...bar, skipped: true, done: true }, 1000, 100),
    "layer  111111111111 already present, skipped",
  );
});

Deno.test("ProgressRenderer draws one line per blob and redraws in place", () => {
  const tty = new FakeTty(100);
  let now = 0;
  const r = new ProgressRenderer(tty, { now: () => now, intervalMs: 100 });
  r.update(
    ev({
      digest: D2,
      mediaType: CONFIG,
      transferred: 10,
      total: 10,
      done: true,
    }),
  );
  r.update(ev({ transferred: 0 }));
  now = 50;
  r.update(ev({ transferred: 100 })); // throttled: no redraw within 100 ms
  const writesBefore = tty.writes.length;
  now = 60;
  r.update(ev({ transferred: 200 }));
  equal(tty.writes.length, writesBefore, "throttled");
  now = 500;
  r.update(ev({ transferred: 500 }));
  const screen = tty.screen();
  equal(screen.length, 2, screen.join("\n"));
  ok(
    screen[0].startsWith("config 222222222222 [") && screen[0].endsWith("done"),
  );
  ok(screen[1].startsWith("layer  111111111111 ["), screen[1]);
  ok(screen[1].includes(" 50% "), screen[1]);
  ok(tty.all.includes("\x1b[2A"), "cursor moves up over both bars");
  now = 1000;
  r.update(ev({ transferred: 1000, done: true }));
  r.finish();
  const final = tty.screen();
  equal(final.length, 2);
  ok(final[1].includes("100%") && final[1].endsWith("done"), final[1]);
  ok(final.every((l) => l.length < 100), "no line wraps");
});

Deno.test("ProgressRenderer: text interjected above the bars; finish starts a new block", () => {
  const tty = new FakeTty(120);
  let now = 0;
  const r = new ProgressRenderer(tty, { now: () => now, intervalMs: 0 });
  r.update(ev({ transferred: 10 }));
  r.interject("Warning: skipped symlink x\n");
  now = 10;
  r.update(ev({ transferred: 20 }));
  const shown = tty.screen();
  equal(shown.length, 2, shown.join("\n"));
  equal(shown[0], "Warning: skipped symlink x");
  ok(shown[1].startsWith("layer  111111111111 ["), shown[1]);
  ok(shown[1].includes("  2% "), "redrawn with the newest state");
  r.finish();
  r.update(ev({ digest: D2, transferred: 5, direction: "push" }));
  const screen = tty.screen();
  equal(screen.length, 3, "the finished block stays, a new one starts below");
  ok(screen[2].startsWith("layer  222222222222"));
});

Deno.test("ProgressRenderer: skipped uploads and unknown digests", () => {
  const tty = new FakeTty();
  const r = new ProgressRenderer(tty, { now: () => 0 });
  r.update(
    ev({ direction: "push", transferred: 1000, done: true, skipped: true }),
  );
  r.update(
    ev({
      direction: "push",
      digest: "",
      mediaType: undefined,
      transferred: 3,
      total: 0,
    }),
  );
  r.finish();
  deepStrictEqual(tty.screen(), [
    "layer  111111111111 already present, skipped",
    "blob   (uploading) 3 B",
  ]);
});

Deno.test("createProgress: nothing unless a terminal and not quiet", () => {
  const pipe = { write() {}, isTTY: false };
  equal(createProgress(pipe, false), undefined);
  equal(createProgress(new FakeTty(), true), undefined);
  ok(createProgress(new FakeTty(), false) instanceof ProgressRenderer);
});
