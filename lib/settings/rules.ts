import type { SettingName, Settings } from './schema';

/** A rule between settings, checked once every setting is valid on its own. */
export interface CrossFieldRule {
  /** The setting an error names. */
  readonly field: SettingName;
  /** The rule in words, for the docs. */
  readonly rule: string;
  /** Nothing when the rule holds; otherwise what was expected and what was received. */
  readonly check: (settings: Settings) => { readonly expected: string; readonly received: unknown } | undefined;
}

function together(first: SettingName, second: SettingName): CrossFieldRule {
  return {
    field: second,
    rule: `\`${first}\` and \`${second}\` go together: set both or neither.`,
    check: (settings) =>
      (settings[first] === undefined) === (settings[second] === undefined)
        ? undefined
        : {
            expected: `both ${first} and ${second}, or neither`,
            received: { [first]: settings[first], [second]: settings[second] },
          },
  };
}

type NumericSetting = {
  [K in SettingName]: Settings[K] extends number ? K : never;
}[SettingName];

function compare(field: NumericSetting, relation: 'at most' | 'at least', other: NumericSetting): CrossFieldRule {
  return {
    field,
    rule: `\`${field}\` is ${relation} \`${other}\`.`,
    check: (settings) => {
      const [value, bound] = [settings[field], settings[other]];
      const holds = relation === 'at most' ? value <= bound : value >= bound;
      return holds ? undefined : { expected: `${relation} ${other} (${bound})`, received: value };
    },
  };
}

/** Checked in this order; the first broken one is reported. */
export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  together('domainNames', 'certificateArn'),
  // Upload creations are API calls too: a higher limit than the API's would never be reached.
  compare('uploadCreationRateLimit', 'at most', 'apiRateLimit'),
  compare('apiThrottleBurst', 'at least', 'apiThrottleRatePerSecond'),
  compare('uploadCreationThrottleBurst', 'at least', 'uploadCreationThrottleRatePerSecond'),
  compare('uploadCreationThrottleRatePerSecond', 'at most', 'apiThrottleRatePerSecond'),
  together('userPoolId', 'userPoolClientId'),
  {
    field: 'userPoolId',
    rule: '`userPoolId` is a user pool in `region`.',
    // The API's functions reach Cognito through an interface endpoint, which serves its own region only.
    check: ({ userPoolId, region }) =>
      userPoolId === undefined || userPoolId.startsWith(`${region}_`)
        ? undefined
        : { expected: `a user pool in the platform region (${region}_…)`, received: userPoolId },
  },
];
