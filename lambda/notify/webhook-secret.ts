import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The secret webhooks are signed with. */
export interface WebhookSecretSource {
  current(): Promise<string>;
}

/**
 * The `SecretString` of a Secrets Manager secret, used as is, cached for five minutes: after a
 * change, deliveries sign with the new secret within five minutes.
 */
export class SecretsManagerWebhookSecret implements WebhookSecretSource {
  private readonly provider: SecretsProvider;

  constructor(
    private readonly secretId: string,
    client: SecretsManagerClient,
    private readonly maxAgeSeconds = 300,
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  async current(): Promise<string> {
    const value = await this.provider.get(this.secretId, { maxAge: this.maxAgeSeconds });
    // Never echo the value.
    if (typeof value !== 'string' || value.length === 0)
      throw new Error(`secret ${this.secretId}: the webhook secret must be a non-empty SecretString`);
    return value;
  }
}

/** A fixed secret, for the local twin, which has no Secrets Manager. */
export class StaticWebhookSecret implements WebhookSecretSource {
  constructor(private readonly secret: string) {
    if (secret.length === 0) throw new Error('the webhook secret must not be empty');
  }
  async current(): Promise<string> {
    return this.secret;
  }
}
