/**
 * Values that differ per environment (the ids of a flow, a split, a selection on each tenant):
 *
 *   export const ids = defineValues({
 *     sandbox:    { onboarding: { flow: 679, split: 844 }, lists: { vip: 12 } },
 *     production: { onboarding: { flow: 1201, split: 1302 }, lists: { vip: 40 } },
 *   });
 *   workflow(ids.onboarding.flow).split(ids.onboarding.split, …)
 *
 * It gives the values of the environment the run is for (`--env`), and refuses a table in which
 * one environment lacks a value another has, naming both, so every environment is complete
 * whichever one is chosen. The type is what every environment has in common: a builder that
 * uses a value one environment lacks is a type error at its line.
 *
 * Self-contained (only its parameters and JavaScript's builtins): the sandbox runs its source
 * text inside the evaluation context (see compile/sandbox-runtime.ts).
 */

/** Which environment a run is for, and which the config defines. */
export interface ValuesContext {
  readonly environment?: string | undefined;
  readonly environments?: readonly string[] | undefined;
}

export type DefineValues = <T extends object>(byEnvironment: Readonly<Record<string, T>>) => T;

export function createDefineValues(context: () => ValuesContext): DefineValues {
  const isPlain = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
  const show = (v: unknown): string => {
    try {
      const s = JSON.stringify(v);
      return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
    } catch {
      return String(v);
    }
  };
  /** Every leaf path of a table entry: "a.b" → value. */
  const leaves = (value: unknown, prefix: string, out: Map<string, unknown>): void => {
    // An empty object adds no leaf: `lists: {}` lacks what another environment's `lists` has.
    if (isPlain(value)) for (const k of Object.keys(value)) leaves(value[k], prefix === "" ? k : `${prefix}.${k}`, out);
    else out.set(prefix, value);
  };
  return function defineValues<T extends object>(byEnvironment: Readonly<Record<string, T>>): T {
    if (!isPlain(byEnvironment) || Object.keys(byEnvironment).length === 0) {
      throw new TypeError("defineValues needs an object with one entry per environment: defineValues({ sandbox: { … }, production: { … } })");
    }
    const { environment, environments } = context();
    const names = Object.keys(byEnvironment);
    if (environments === undefined || environments.length === 0) {
      throw new Error("defineValues needs environments: add `environments` to sync.config.ts and choose one with --env NAME");
    }
    {
      const unknown = names.filter((n) => !environments.includes(n));
      if (unknown.length) {
        throw new Error(`defineValues names environment ${unknown.map((n) => `"${n}"`).join(", ")}, which sync.config.ts does not define (it defines: ${environments.join(", ")})`);
      }
    }
    const paths = new Map<string, Map<string, unknown>>();
    for (const name of names) {
      const entry = byEnvironment[name];
      if (!isPlain(entry)) throw new TypeError(`defineValues: the values of environment "${name}" must be an object, got ${show(entry)}`);
      const own = new Map<string, unknown>();
      leaves(entry, "", own);
      paths.set(name, own);
    }
    for (const name of names) {
      const own = paths.get(name)!;
      for (const other of names) {
        if (other === name) continue;
        for (const [p, v] of paths.get(other)!) {
          const mine = own.get(p);
          if (v === undefined || v === null) continue;
          if (mine === undefined || mine === null) {
            throw new Error(`environment "${name}" has no value for ${p} (environment "${other}" has ${show(v)})`);
          }
          if (isPlain(mine) !== isPlain(v)) throw new Error(`${p} is ${show(mine)} in environment "${name}" but ${show(v)} in "${other}": each environment needs the same shape`);
        }
      }
    }
    if (environment === undefined) throw new Error(`no environment chosen: pass --env NAME (${environments.join(", ")})`);
    if (!names.includes(environment)) {
      throw new Error(`defineValues has no values for environment "${environment}" (it has: ${names.join(", ")})`);
    }
    return byEnvironment[environment]!;
  };
}

/**
 * Outside wfsync's evaluation (a script importing the DSL) there is no chosen environment;
 * the sandbox gives workflow files the real one.
 */
export const defineValues: DefineValues = createDefineValues(() => ({}));
