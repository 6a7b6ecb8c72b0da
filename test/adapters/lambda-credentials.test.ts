import { defaultProvider } from '../../lambda/adapters/lambda-credentials';

/**
 * The credential provider the bundles use in place of the SDK's default chain: the execution
 * role's credentials, which Lambda puts in the environment, and nothing else.
 */

const VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

afterEach(() => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

it('resolves the credentials Lambda puts in the environment, session token included', async () => {
  // Prepare
  process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret-of-the-role';
  process.env.AWS_SESSION_TOKEN = 'session-of-the-role';

  // Act
  const credentials = await defaultProvider()();

  // Assess
  expect(credentials).toMatchObject({
    accessKeyId: 'ASIAEXAMPLE',
    secretAccessKey: 'secret-of-the-role',
    sessionToken: 'session-of-the-role',
  });
});

it('fails, without trying any other source, when the environment holds none', async () => {
  // Prepare
  for (const name of VARIABLES) delete process.env[name];

  // Act
  const outcome = await defaultProvider()().then(
    () => 'resolved',
    (error: Error) => error.name,
  );

  // Assess
  expect(outcome).toBe('CredentialsProviderError');
});
