import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a Cognito user pool: it signs ID tokens (RS256, `token_use: id`, `aud`
 * the app client id) and publishes its key set, so the handlers verify them exactly as they
 * verify Cognito's.
 */
export interface LocalIdentity {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /** The key set to serve at `jwksUrl`. */
  readonly jwks: { readonly keys: readonly object[] };
  /** An ID token for `sub`, valid for `expiresInSeconds` (default one hour). */
  issue(sub: string, options?: { expiresInSeconds?: number; audience?: string }): Promise<string>;
}

/** What keeps an identity's tokens valid across restarts: its signing key. */
export interface IdentityKey {
  readonly kid: string;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
}

export const LOCAL_AUDIENCE = 'local-app-client';

/** Where an issuer publishes its key set, as Cognito does. */
export const JWKS_PATH = '/.well-known/jwks.json';

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function newIdentityKey(): IdentityKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomUUID(), privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** An identity that names itself `issuer` and signs with `key`; the caller serves its key set. */
export function createLocalIdentity(issuer: string, key: IdentityKey = newIdentityKey()): LocalIdentity {
  const privateKey: KeyObject = createPrivateKey(key.privateKeyPem);
  const jwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid: key.kid, alg: 'RS256', use: 'sig' };
  return {
    issuer,
    audience: LOCAL_AUDIENCE,
    jwksUrl: `${issuer}${JWKS_PATH}`,
    jwks: { keys: [jwk] },
    async issue(sub, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        sub,
        iss: issuer,
        aud: options.audience ?? LOCAL_AUDIENCE,
        token_use: 'id',
        iat: now,
        exp: now + (options.expiresInSeconds ?? 3600),
      };
      const signingInput = `${base64url({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${base64url(claims)}`;
      return `${signingInput}.${sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
    },
  };
}

/** An identity with its own HTTP server for the key set, for tests. */
export interface IdentityIssuer extends LocalIdentity {
  close(): Promise<void>;
}

export async function startIdentityIssuer(port = 0): Promise<IdentityIssuer> {
  let identity: LocalIdentity | undefined;
  const server: Server = createServer((request, response) => {
    if (identity && request.url?.endsWith(JWKS_PATH)) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(identity.jwks));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  identity = createLocalIdentity(`http://127.0.0.1:${(server.address() as AddressInfo).port}/local-user-pool`);
  return { ...identity, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
