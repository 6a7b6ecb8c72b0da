import { JwtRsaVerifier } from 'aws-jwt-verify';
import { FetchError, JwksNotAvailableInCacheError, JwksValidationError, NotSupportedError } from 'aws-jwt-verify/error';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';

export interface JwtVerifierOptions {
  /** `iss` of accepted tokens, e.g. `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  readonly issuer: string;
  /** `aud` of accepted tokens: the user pool's app client id. */
  readonly audience: string;
  /** Where the issuer publishes its signing keys. */
  readonly jwksUrl: string;
}

/** Failures to get the key set: our fault (5xx), not the caller's. */
const KEY_SET_FAULTS = [FetchError, JwksNotAvailableInCacheError, JwksValidationError, NotSupportedError];

/**
 * Verifies ID tokens as API Gateway's Cognito authorizer does (RS256 signature, issuer,
 * audience, expiry, `token_use: id`), for the routes that run without an authorizer. The key
 * set is fetched once and cached per container. The fetcher is the platform's `fetch`, so the
 * local twin's issuer on plain-HTTP loopback works the same as Cognito over HTTPS.
 */
export class JwtVerifier {
  private readonly verifier;

  constructor(options: JwtVerifierOptions) {
    const jwksCache = new SimpleJwksCache({
      fetcher: {
        fetch: async (uri) => {
          try {
            const response = await fetch(uri, { signal: AbortSignal.timeout(2000) });
            if (!response.ok) throw new FetchError(uri, `status ${response.status}`);
            return await response.arrayBuffer();
          } catch (error) {
            // Refused, reset or timed out: `fetch` throws errors of its own, which are our fault too.
            if (error instanceof FetchError) throw error;
            throw new FetchError(uri, error instanceof Error ? error.message : String(error));
          }
        },
      },
    });
    this.verifier = JwtRsaVerifier.create(
      {
        issuer: options.issuer,
        audience: options.audience,
        jwksUri: options.jwksUrl,
        customJwtCheck: ({ payload }) => {
          if (payload.token_use !== 'id') throw new Error('not an ID token');
        },
      },
      { jwksCache },
    );
  }

  /** The user id (`sub`) of a valid token, or `undefined` for any invalid one. */
  async verify(token: string): Promise<string | undefined> {
    try {
      const payload = await this.verifier.verify(token);
      return typeof payload.sub === 'string' && payload.sub.length > 0 ? payload.sub : undefined;
    } catch (error) {
      if (KEY_SET_FAULTS.some((fault) => error instanceof fault)) throw error;
      return undefined;
    }
  }
}
