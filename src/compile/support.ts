/**
 * What a tenant's server cannot take of an option: option kinds on the 10.2 generation, step
 * fields and step types newer than the server. Pure: the engine asks once it knows the tenant's
 * generation (and version), validation when the config names the generation. Code written for
 * 10.2.x has none of these, so it stays valid everywhere and means the same.
 */
import { WfsyncError, type SourceLocation } from "../errors.js";
import type { OptionContent, StepModel } from "../model/option.js";
import { allStepFields, stepTypeSpec } from "../model/steps.js";
import { FIRST_FLOW_VERSION, compareVersions, parseVersion, type ApiGeneration, type ServerVersion } from "../model/versions.js";
import { OPTION_KINDS } from "../model/when.js";
import type { DesiredOption, OptionSites } from "./desired.js";
import { whenKeyOf } from "./when.js";

export interface SupportTarget {
  readonly api: ApiGeneration;
  /** The server's version (`10.3.6`, `12.4.1514`); unknown: the newest of its generation is assumed. */
  readonly version?: string | undefined;
}

/**
 * Options found to need nothing newer than a target, by target: a fleet asks of the same (shared,
 * frozen) options once per environment, and most environments have the same kind of server.
 */
const supportedBy = new Map<string, WeakSet<DesiredOption>>();

/** Located errors (code E_UNSUPPORTED), one per option kind and per step that needs a newer server. */
export function unsupportedFeatures(desired: DesiredOption, target: SupportTarget): WfsyncError[] {
  const targetKey = `${target.api}\0${target.version ?? ""}`;
  if (supportedBy.get(targetKey)?.has(desired)) return [];
  const errors = findUnsupported(desired, target);
  if (errors.length === 0) {
    let known = supportedBy.get(targetKey);
    if (!known) supportedBy.set(targetKey, (known = new WeakSet()));
    known.add(desired);
  }
  return errors;
}

function findUnsupported(desired: DesiredOption, target: SupportTarget): WfsyncError[] {
  const errors: WfsyncError[] = [];
  const tenant = tenantInWords(target);
  const report = (what: string, needs: ServerVersion, loc: SourceLocation, flowApi = false) =>
    errors.push(
      new WfsyncError("E_UNSUPPORTED", `\`${what}\` needs SuperOffice ${needs} or later${flowApi ? " (the flow API)" : ""}; ${tenant}`, {
        location: loc,
      }),
    );
  const supports = (since: ServerVersion) => serverHas(target, since);
  visitOption(desired.option, desired.sites, desired.source, (content, loc) => {
    if (!content.when) return;
    const since = OPTION_KINDS[content.when.kind].since;
    if (supports(since)) return;
    // On 10.2 every kind needs the flow API; the kind is named only where it needs more.
    if (since === FIRST_FLOW_VERSION) report("when", since, loc, target.api === "10.2");
    else report(`when: { ${whenKeyOf(content.when.kind)} }`, since, loc);
  }, (step, method, loc) => {
    const typeSince = stepTypeSpec(step.stepType).since;
    const fields = Object.entries(allStepFields(step.stepType)).filter(([name, f]) => f.since && step[name] !== undefined && !supports(f.since));
    const typeMissing = typeSince !== undefined && !supports(typeSince);
    if (!typeMissing && fields.length === 0) return;
    const needs = [...(typeMissing ? [typeSince!] : []), ...fields.map(([, f]) => f.since!)].sort(compareVersions).pop()!;
    const args = fields.length ? `{ ${fields.map(([name]) => name).join(", ")} }` : "";
    report(`${method}(${args})`, needs, loc);
  }, (step, method, loc) => {
    if (target.api !== "12") return;
    // Text on a 10.2 server, an enum on the current generation: other text is refused there.
    for (const [name, field] of Object.entries(allStepFields(step.stepType))) {
      const value = step[name];
      if (!field.flowEnum || value === "" || field.flowEnum.values.includes(value as string)) continue;
      errors.push(
        new WfsyncError(
          "E_UNSUPPORTED",
          `\`${method}({ ${name}: ${JSON.stringify(value)} })\`: from SuperOffice ${field.renamed?.since ?? FIRST_FLOW_VERSION} on, ${name} is one of ${field.flowEnum.values.join(", ")}`,
          { location: loc },
        ),
      );
    }
  });
  return errors;
}

/** Whether a server of `target` has what `since` added. */
export function serverHas(target: SupportTarget, since: ServerVersion): boolean {
  if (target.api === "10.2") return compareVersions(since, "10.2.9") <= 0;
  if (target.version === undefined || !parseVersion(target.version)) return true;
  return compareVersions(target.version, since) >= 0;
}

function tenantInWords(target: SupportTarget): string {
  if (target.api === "10.2") return "this tenant runs the 10.2.4–10.2.9 API";
  return `this tenant runs SuperOffice ${target.version ?? "an older version"}`;
}

/** Visits the option, its steps and nested options with where each is declared (the option's place where unknown). */
function visitOption(
  content: OptionContent,
  sites: OptionSites | undefined,
  fallback: SourceLocation,
  option: (content: OptionContent, loc: SourceLocation) => void,
  ...stepVisitors: ((step: StepModel, method: string, loc: SourceLocation) => void)[]
): void {
  const here = sites?.site ?? fallback;
  option(content, here);
  content.steps.forEach((s, i) => {
    const stepSites = sites?.steps[i];
    for (const visit of stepVisitors) visit(s, stepSites?.method ?? methodOf(s), stepSites?.site ?? here);
    for (const nested of s.options ?? []) visitOption(nested, stepSites?.options?.get(nested.key), stepSites?.site ?? here, option, ...stepVisitors);
  });
}

function methodOf(step: StepModel): string {
  return step.stepType.charAt(0).toLowerCase() + step.stepType.slice(1);
}
