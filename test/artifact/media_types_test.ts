import { strictEqual } from "node:assert/strict";
import {
  MEDIA_TYPE_PERSONALITY_CONFIG,
  MEDIA_TYPE_PERSONALITY_CONTENT,
  MEDIA_TYPE_PLUGIN_CONFIG,
  MEDIA_TYPE_PLUGIN_CONTENT,
} from "../../src/artifact/media_types.ts";

// mediatypes_test.go TestArtifactKinds
const cases: [string, string, string][] = [
  [
    "plugin config",
    MEDIA_TYPE_PLUGIN_CONFIG,
    "application/vnd.giantswarm.klaus-plugin.config.v1+json",
  ],
  [
    "plugin content",
    MEDIA_TYPE_PLUGIN_CONTENT,
    "application/vnd.giantswarm.klaus-plugin.content.v1.tar+gzip",
  ],
  [
    "personality config",
    MEDIA_TYPE_PERSONALITY_CONFIG,
    "application/vnd.giantswarm.klaus-personality.config.v1+json",
  ],
  [
    "personality content",
    MEDIA_TYPE_PERSONALITY_CONTENT,
    "application/vnd.giantswarm.klaus-personality.content.v1.tar+gzip",
  ],
];

for (const [name, got, want] of cases) {
  Deno.test(`media type: ${name}`, () => strictEqual(got, want));
}
