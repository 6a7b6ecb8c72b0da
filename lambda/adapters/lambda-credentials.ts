import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * What the SDK clients of a bundled handler take for their default credential provider: the
 * environment, where Lambda puts the execution role's credentials. The bundles alias
 * `@aws-sdk/credential-provider-node` to this module (see `HANDLER_BUNDLING`), which leaves out
 * the rest of the default chain (SSO, profiles, web identity, container and instance metadata,
 * and the STS and SSO clients they need): about 100 KiB a bundle that Lambda never uses, and that
 * a cold start would compile.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
