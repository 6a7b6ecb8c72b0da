import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { NagRule } from '../checks';

/**
 * The users of the API and the app client whose ID tokens it trusts: sign-in by email with a
 * strong password and optional TOTP, retained with the stack (accounts own videos), and a client
 * without secret for SRP sign-in from browsers and apps. Made in `scope` as `Users`.
 */
export function createApiUserPool(
  scope: Construct,
  selfSignUp: boolean,
): { userPool: cognito.UserPool; userPoolClient: cognito.UserPoolClient } {
  const userPool = new cognito.UserPool(scope, 'Users', {
    signInAliases: { email: true },
    autoVerify: { email: true },
    selfSignUpEnabled: selfSignUp,
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    mfa: cognito.Mfa.OPTIONAL,
    mfaSecondFactor: { sms: false, otp: true },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    deletionProtection: true,
    // Accounts own videos; losing the pool would orphan every one of them.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(userPool).acknowledge(
    {
      id: NagRule.cognitoMfaRequired,
      reason:
        'MFA is optional (TOTP) by design: uploaders turn it on for their account; forcing it on every viewer who signs in to watch would lock out users without an authenticator app.',
    },
    {
      id: NagRule.cognitoPlusFeaturePlan,
      reason:
        'Threat protection needs the Plus feature plan, billed per monthly active user; the operator opts in (featurePlan) when the audience warrants the cost. Strong passwords and optional TOTP apply regardless.',
    },
  );
  const userPoolClient = userPool.addClient('WebClient', {
    // Browsers and apps cannot keep a client secret.
    generateSecret: false,
    authFlows: { userSrp: true },
    disableOAuth: true,
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    idTokenValidity: Duration.hours(1),
    accessTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.days(30),
  });
  return { userPool, userPoolClient };
}
