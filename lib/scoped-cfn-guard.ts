import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContextBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';

/** A quoted CloudFormation resource type in a guard rule, e.g. `"AWS::S3::Bucket"`. */
const RESOURCE_TYPE_LITERAL = /["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']/g;

/** A guard rule file and the resource types it selects; `undefined` when it names none (it then always runs). */
export interface GuardRule {
  readonly path: string;
  readonly resourceTypes?: ReadonlySet<string>;
}

/** The Control Tower proactive rules that ship with the validator, each with the types it selects. */
export function controlTowerRules(): GuardRule[] {
  const root = join(
    dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')),
    'rules',
    'control-tower',
    'cfn-guard',
  );
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.guard'));
  return files.sort().map((file) => {
    const path = join(root, file);
    const types = new Set(
      [...readFileSync(path, 'utf8').matchAll(RESOURCE_TYPE_LITERAL)].map((match) => match[1] ?? ''),
    );
    return { path, resourceTypes: types.size > 0 ? types : undefined };
  });
}

/** The rules that can find anything in a template with these resource types. */
export function rulesFor(rules: readonly GuardRule[], templateTypes: ReadonlySet<string>): string[] {
  return rules
    .filter(
      (rule) => rule.resourceTypes === undefined || [...rule.resourceTypes].some((type) => templateTypes.has(type)),
    )
    .map((rule) => rule.path);
}

function resourceTypes(templatePath: string): Set<string> {
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources?: Record<string, { Type?: string }> };
  return new Set(Object.values(template.Resources ?? {}).flatMap((resource) => resource.Type ?? []));
}

/**
 * cfn-guard with the Control Tower proactive rules, run on each template with only the rules
 * that select a resource type the template has. Every one of those rules selects its resources
 * with `Resources.*[ Type == "<type>" ]` and skips a template that has none, so the findings are
 * the same as with all 237 rules, in about a third of the time: on the platform template 64 rules
 * apply, and cfn-guard took 7.4 s instead of 20 s on a loaded 2-core machine. A rule that names no
 * type always runs. The plugin keeps its name and rule ids, so acknowledgements work unchanged.
 */
export class ScopedCfnGuardValidator extends CfnGuardValidator {
  private readonly rules = controlTowerRules();

  override validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const reports = context.templatePaths.map((templatePath): PolicyValidationPluginReportBeta1 => {
      const rules = rulesFor(this.rules, resourceTypes(templatePath));
      if (rules.length === 0) return { success: true, violations: [] };
      const guard = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules, maxBuffer: 64 * 1024 * 1024 });
      return guard.validate({ ...context, templatePaths: [templatePath] });
    });
    return {
      success: reports.every((report) => report.success),
      violations: reports.flatMap((report) => report.violations),
    };
  }
}
