import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a Cognito user pool: it signs ID tokens (RS256, `token_use: id`, `aud`
 * the app client id) and publishes its key set over HTTP on loopback, so the handlers verify
 * them exactly as they verify Cognito's.
 */
export interface IdentityIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /** An ID token for `sub`, valid for `expiresInSeconds` (default one hour). */
  issue(sub: string, options?: { expiresInSeconds?: number; audience?: string }): Promise<string>;
  close(): Promise<void>;
}

export const LOCAL_AUDIENCE = 'local-app-client';

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startIdentityIssuer(port = 0): Promise<IdentityIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const server: Server = createServer((request, response) => {
    if (request.url?.endsWith('/.well-known/jwks.json')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/local-user-pool`;
  return {
    issuer,
    audience: LOCAL_AUDIENCE,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
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
      const signingInput = `${base64url({ alg: 'RS256', typ: 'JWT', kid })}.${base64url(claims)}`;
      return `${signingInput}.${sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
