import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CachedSecret } from '../adapters/cached-secret';
import type { OnFirstUse } from '../adapters/lazy';

/** The secret webhooks are signed with. */
export interface WebhookSecretSource {
  current(): Promise<string>;
}

/**
 * The `SecretString` of a Secrets Manager secret, used as is, cached for five minutes: after a
 * change, deliveries sign with the new secret within five minutes.
 */
export class SecretsManagerWebhookSecret implements WebhookSecretSource {
  private readonly secret: CachedSecret;

  constructor(secretId: string, client: OnFirstUse<SecretsManagerClient>, maxAgeSeconds = 300) {
    this.secret = new CachedSecret(secretId, client, maxAgeSeconds);
  }

  async current(): Promise<string> {
    const value = await this.secret.text();
    // Never echo the value.
    if (typeof value !== 'string' || value.length === 0)
      throw new Error(`secret ${this.secret.secretId}: the webhook secret must be a non-empty SecretString`);
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
