/**
 * The DSL's surface and the step table (src/model/steps.ts) must not drift apart: one method per
 * StepType, and each method's typed fields exactly the table's fields with matching types.
 */
import { fileURLToPath } from "node:url";
import { Project, type Type } from "ts-morph";
import { describe, expect, it } from "vitest";
import { workflow } from "../../src/dsl/index.js";
import type { PathBuilder } from "../../src/dsl/types.js";
import { REQUIRED_FIELDS } from "../../src/model/rules.js";
import { STEP_TYPE_ALIASES, STEP_TYPE_NAMES, allStepFields, type FlowFieldKind, type StepTypeName } from "../../src/model/steps.js";

const camel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
/** Every StepType's method, plus one per alias (updateParticipant). */
const EXPECTED_METHODS = new Map<string, StepTypeName>([
  ...STEP_TYPE_NAMES.map((n): [string, StepTypeName] => [camel(n), n]),
  ...Object.entries(STEP_TYPE_ALIASES).map(([alias, n]): [string, StepTypeName] => [camel(alias), n]),
]);

/** Minimal valid arguments, so every method can be called at run time. */
const ARGS: Partial<Record<keyof PathBuilder, unknown>> = {
  sendEmail: { shipmentId: 1 },
  waitForTime: { numIntervals: 1, intervalType: "Days" },
  split: (s: { option(key: string, props: object): void }) => s.option("n", { name: "N" }),
  addToList: { selection: 1 },
  removeFromList: { selection: 1 },
  createRequest: { title: "t" },
  createFollowUp: { title: "t" },
};

describe("PathBuilder at run time", () => {
  it("has exactly one method per StepType (and its aliases), each recording that StepType", () => {
    let methods: string[] = [];
    const def = workflow(1, (wf) =>
      wf.split(2, (split) =>
        split.option("k", { name: "n" }, (path) => {
          methods = Object.keys(path);
          for (const method of methods as (keyof PathBuilder)[]) (path[method] as (arg?: unknown) => void)(ARGS[method]);
        }),
      ),
    );
    const steps = def.splits[0]!.options[0]!.steps;
    const recorded = new Map(steps.map((s) => [s.method, s.stepType]));
    expect(methods.sort()).toEqual([...EXPECTED_METHODS.keys()].sort());
    expect(recorded).toEqual(EXPECTED_METHODS);
    expect(new Set(steps.map((s) => s.stepType))).toEqual(new Set(STEP_TYPE_NAMES));
  });
});

describe("typed fields against the step table", () => {
  const project = new Project({ compilerOptions: { strict: true, skipLibCheck: true }, skipAddingFilesFromTsConfig: true });
  const file = project.addSourceFileAtPath(fileURLToPath(new URL("../../src/dsl/types.ts", import.meta.url)));
  project.resolveSourceFileDependencies();
  const builder = file.getInterfaceOrThrow("PathBuilder");

  /**
   * The fields a method takes: the properties of its fields parameter (all members of a union);
   * of an overloaded method (split), the overload with the most parameters.
   */
  function methodFields(method: string): Map<string, { type: Type; optional: boolean }[]> {
    const [sig] = builder
      .getMethods()
      .filter((m) => m.getName() === method)
      .sort((a, b) => b.getParameters().length - a.getParameters().length);
    const param = sig!.getParameters()[0];
    const fields = new Map<string, { type: Type; optional: boolean }[]>();
    if (!param) return fields;
    const type = param.getType().getNonNullableType();
    for (const member of type.isUnion() ? type.getUnionTypes() : [type]) {
      for (const prop of member.getProperties()) {
        const decl = prop.getValueDeclarationOrThrow();
        const entry = { type: prop.getTypeAtLocation(decl).getNonNullableType(), optional: prop.isOptional() };
        fields.set(prop.getName(), [...(fields.get(prop.getName()) ?? []), entry]);
      }
    }
    return fields;
  }

  function fits(kind: FlowFieldKind, type: Type): boolean {
    switch (kind.type) {
      case "int":
      case "integer":
      case "number":
        return type.isNumber();
      case "string":
      case "date":
        return type.isString() || type.isTemplateLiteral();
      case "string[]":
        return type.isArray() && type.getArrayElementTypeOrThrow().isString();
      case "records":
        return type.isArray() && type.getArrayElementTypeOrThrow().isObject();
      case "bool":
        return type.isBoolean();
      case "int[]":
        return type.isArray() && type.getArrayElementTypeOrThrow().isNumber();
      case "enum": {
        const members = type.isUnion() ? type.getUnionTypes() : [type];
        return members.every((m) => m.isStringLiteral() && kind.values.includes(m.getLiteralValue() as string));
      }
    }
  }

  it("declares the methods the run-time builder has", () => {
    expect([...new Set(builder.getMethods().map((m) => m.getName()))].sort()).toEqual([...EXPECTED_METHODS.keys()].sort());
  });

  for (const [method, stepType] of EXPECTED_METHODS) {
    it(`${method}(): fields and their types match ${stepType} in the table`, () => {
      const table = Object.fromEntries(Object.entries(allStepFields(stepType)).map(([n, f]) => [n, f.kind]));
      const typed = methodFields(method);
      expect([...typed.keys()].sort()).toEqual(Object.keys(table).sort());
      for (const [name, entries] of typed) {
        for (const { type } of entries) expect(fits(table[name]!, type), `${method}.${name}: ${type.getText()}`).toBe(true);
      }
    });
  }

  it("requires at run time exactly the fields the types require (WaitForTime checked on its own)", () => {
    for (const [method, stepType] of EXPECTED_METHODS) {
      if (stepType === "WaitForTime") continue;
      const required = [...methodFields(method)].filter(([, e]) => e.every((f) => !f.optional)).map(([n]) => n);
      expect(required.sort(), method).toEqual([...(REQUIRED_FIELDS[stepType] ?? [])].sort());
    }
  });
});
