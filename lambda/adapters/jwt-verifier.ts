import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';

const KEY_SET_FAULTS = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC']);

export interface JwtVerifierOptions {
  /** `iss` of accepted tokens, e.g. `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  readonly issuer: string;
  /** `aud` of accepted tokens: the user pool's app client id. */
  readonly audience: string;
  /** Where the issuer publishes its signing keys. */
  readonly jwksUrl: string;
}

/**
 * Verifies ID tokens the way API Gateway's Cognito authorizer does (signature, issuer,
 * audience, expiry, `token_use: id`), for the routes that run without an authorizer. The key
 * set is fetched once and cached per container.
 */
export class JwtVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly options: JwtVerifierOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 2000, cooldownDuration: 30_000 });
  }

  /** The user id (`sub`) of a valid token, or `undefined` for any invalid one. */
  async verify(token: string): Promise<string | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ['RS256'],
      });
      if (payload.token_use !== 'id' || typeof payload.sub !== 'string' || payload.sub.length === 0) return undefined;
      return payload.sub;
    } catch (error) {
      // A bad token is the caller's fault (undefined, so 401). A key set that cannot be
      // fetched (timeout, network, a bad answer) is ours: let it surface.
      const code = (error as { code?: unknown }).code;
      const tokenFault = typeof code === 'string' && code.startsWith('ERR_') && !KEY_SET_FAULTS.has(code);
      if (tokenFault) return undefined;
      throw error;
    }
  }
}
