import * as z from 'zod';

/**
 * How a handler's settings travel through its environment, both ways: the readers in
 * `lambda/<handler>/settings.ts` parse with the codecs below, and the writers beside them turn
 * values back into variables with `environmentVariables`. Data and zod only, so that the CDK app
 * and the local twin can import the writers.
 */

/** Local twin only: S3-compatible servers on loopback want path-style URLs. Unset in AWS. */
export const S3_FORCE_PATH_STYLE = 'S3_FORCE_PATH_STYLE';

/** What a writer is given: the settings a reader returns, with the twin's path-style flag left out in AWS. */
export type Written<T extends { readonly s3ForcePathStyle: boolean }> = Omit<T, 's3ForcePathStyle'> & {
  readonly s3ForcePathStyle?: boolean;
};

export const name = z.string().min(1);
export const positiveInt = z.coerce.number().int().positive();
export const flag = z.enum(['true', 'false']).transform((text) => text === 'true');
/** `host:port`, as ElastiCache gives its endpoint. */
export const hostAndPort = z.string().regex(/^[^\s:]+:[0-9]{1,5}$/);
/** Comma-separated, at least one item; blanks around items are dropped. */
export const list = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )
  .pipe(z.array(z.string()).min(1));

/** Parses `env` with `schema`, or fails the handler's init with every problem listed. */
export function readEnvironment<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv, what: string): z.output<T> {
  const result = schema.safeParse(env);
  if (!result.success) throw new Error(`Invalid ${what} environment:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** A value as a writer hands it over: names, ARNs and URLs may be CDK tokens, which are strings at synth. */
export type VariableValue = string | number | boolean | readonly string[] | undefined;

/**
 * The variables for `values`, one per variable its reader parses (`Input` is the reader's
 * schema input, so a writer that forgets a variable or adds one the reader ignores does not
 * compile). An undefined value leaves its variable unset.
 */
export function environmentVariables<Input extends object>(
  values: {
    readonly [K in keyof Required<Input>]: VariableValue;
  },
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries(values) as [string, VariableValue][]) {
    if (value === undefined) continue;
    variables[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return variables;
}
