/**
 * The OCI distribution client: {@linkcode RegistryStore} (an `OciStore`
 * over `fetch`) and the parts it is built from — transport rules, auth
 * challenges and tokens, and the credential chain.
 *
 * Internal: this folder's names for the library's own modules, the CLI, the
 * edge API (`worker/`) and the tests. The package's public API is
 * `src/mod.ts`; nothing here is re-exported from it wholesale.
 *
 * @module
 */
export * from "./auth.ts";
export * from "./body.ts";
export * from "./catalog.ts";
export * from "./challenge.ts";
export * from "./credential_helper.ts";
export * from "./credentials.ts";
export * from "./docker_config.ts";
export * from "./http_error.ts";
export * from "./link.ts";
export * from "./registry_store.ts";
export * from "./retry.ts";
export * from "./scope.ts";
export * from "./timeout_error.ts";
export * from "./token_cache.ts";
export * from "./transport.ts";
export * from "./url_safety.ts";
export * from "./user_agent.ts";
