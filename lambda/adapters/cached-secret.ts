import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { lazy, type OnFirstUse, resolve } from './lazy';

/**
 * A Secrets Manager secret, read through Powertools and cached (five minutes by default): after
 * a change, callers see the new value within that time, and a warm container calls Secrets
 * Manager at most once per period.
 */
export class CachedSecret {
  /** Built on the first read: the client may itself be built on first use. */
  private readonly provider: () => SecretsProvider;

  constructor(
    readonly secretId: string,
    client: OnFirstUse<SecretsManagerClient>,
    private readonly maxAgeSeconds = 300,
  ) {
    this.provider = lazy(() => new SecretsProvider({ awsSdkV3Client: resolve(client) }));
  }

  /** The `SecretString` as is. */
  text(): Promise<unknown> {
    return this.provider().get(this.secretId, { maxAge: this.maxAgeSeconds });
  }

  /** The `SecretString` parsed as JSON. */
  json(): Promise<unknown> {
    return this.provider().get(this.secretId, { maxAge: this.maxAgeSeconds, transform: 'json' });
  }
}
