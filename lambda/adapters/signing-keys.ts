import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KEY_ID_PATTERN, SECRET_PATTERN, type SigningKey } from '../core/playback-token';
import type { SigningKeySource } from '../core/ports';
import { CachedSecret } from './cached-secret';
import type { OnFirstUse } from './lazy';

/** Checks the shape of a key, whatever store it came from; never echoes the secret. */
export function parseSigningKey(value: unknown, source: string): SigningKey {
  const { keyId, secret } = (value ?? {}) as Partial<Record<keyof SigningKey, unknown>>;
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId))
    throw new Error(`${source}: keyId must match ${KEY_ID_PATTERN}`);
  if (typeof secret !== 'string' || !SECRET_PATTERN.test(secret))
    throw new Error(`${source}: secret must match ${SECRET_PATTERN}`);
  return { keyId, secret };
}

/**
 * The current key from a Secrets Manager secret holding `{"keyId": ..., "secret": ...}`,
 * cached for five minutes: after a rotation, new tokens use the new key within five minutes.
 */
export class SecretsManagerSigningKeys implements SigningKeySource {
  private readonly secret: CachedSecret;

  constructor(secretId: string, client: OnFirstUse<SecretsManagerClient>, maxAgeSeconds = 300) {
    this.secret = new CachedSecret(secretId, client, maxAgeSeconds);
  }

  async currentKey(): Promise<SigningKey> {
    return parseSigningKey(await this.secret.json(), `secret ${this.secret.secretId}`);
  }
}

/** A fixed key, for the local twin, which has no Secrets Manager. */
export class StaticSigningKeys implements SigningKeySource {
  private readonly key: SigningKey;
  constructor(key: unknown) {
    this.key = parseSigningKey(key, 'static signing key');
  }
  async currentKey(): Promise<SigningKey> {
    return this.key;
  }
}
