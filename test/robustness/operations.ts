import fc from 'fast-check';

/**
 * The operations of the OpenAPI document the app serves (/openapi.json, built
 * from the same route definitions as src/modules/index.ts allRoutes), and
 * what the bad-input properties need from them: every string field of every
 * JSON body (found by walking the body schema, through $ref, allOf, oneOf and
 * anyOf branches, nested objects, arrays and open maps), every path and query
 * parameter, and valid values for everything else.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Schema {
  type?: string | string[];
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  required?: string[];
  items?: Schema;
  enum?: Json[];
  format?: string;
  pattern?: string;
  example?: Json;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
}

export interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  roles: string[];
  params: Parameter[];
  bodyTypes: string[];
  bodySchema?: Schema | undefined;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { operationId: string; 'x-roles': string[]; parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, o]) => ({
      method: method as Operation['method'],
      path: p,
      operationId: o.operationId,
      roles: o['x-roles'],
      params: o.parameters ?? [],
      bodyTypes: Object.keys(o.requestBody?.content ?? {}),
      bodySchema: o.requestBody?.content['application/json']?.schema,
    })),
  );
}

export const resolver = (doc: OpenApiDocument) => {
  const resolve = (s: Schema | undefined): Schema => {
    if (!s) return {};
    if (s.$ref) return resolve(doc.components.schemas[s.$ref.split('/').pop()!]);
    if (s.allOf?.length === 1) return resolve(s.allOf[0]);
    return s;
  };
  return resolve;
};

const typesOf = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/** One step from a body to a field: a property, the first item of an array, or a branch of a oneOf/anyOf. */
export type Step = { key: string } | { item: true } | { branch: number };

export interface StringField {
  /** rules.minCoPayment|1.amount: `|n` is the n-th branch of a union, `[]` an array item. */
  label: string;
  steps: Step[];
  maxLength?: number;
  /** How a validation error names it: body.rules.minCoPayment.amount (array items as .0). */
  errorPath: string;
  /** Free text: a string with no enum, format or pattern (a name, a title, a reason). */
  free?: boolean;
}

/** The member name used for a field that is an open map (a JWK's other members). */
export const OPEN_MEMBER = 'ext';

/**
 * Every leaf of a body schema that takes text: `type: string` (enums,
 * formats, patterns and nullable ones included), a schema of any type, and
 * one member of every open map.
 */
export function stringFields(doc: OpenApiDocument, schema: Schema | undefined): StringField[] {
  const resolve = resolver(doc);
  const out: StringField[] = [];
  const leaf = (steps: Step[], s: Schema) => {
    const label = steps.map((st) => ('key' in st ? `.${st.key}` : 'item' in st ? '[]' : `|${st.branch}`)).join('').replace(/^\./, '');
    const errorPath = ['body', ...steps.flatMap((st) => ('key' in st ? [st.key] : 'item' in st ? ['0'] : []))].join('.');
    const free = typesOf(s).includes('string') && !s.enum && !s.format && !s.pattern;
    out.push({ label, steps, ...(s.maxLength !== undefined ? { maxLength: s.maxLength } : {}), errorPath, free });
  };
  const walk = (s0: Schema | undefined, steps: Step[], depth: number) => {
    const s = resolve(s0);
    if (depth > 12) return;
    if (s.allOf) for (const part of s.allOf) walk(part, steps, depth + 1);
    const branches = s.oneOf ?? s.anyOf;
    if (branches) {
      // A nullable field is anyOf [T, null]: the null branch has no text, and a single other branch is not a choice worth naming.
      const real = branches.map((b, i) => [b, i] as const).filter(([b]) => typesOf(resolve(b)).join() !== 'null');
      if (real.length === 1) walk(real[0]![0], steps, depth + 1);
      else for (const [b, i] of real) walk(b, [...steps, { branch: i }], depth + 1);
      return;
    }
    const types = typesOf(s);
    if (s.properties || types.includes('object')) {
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, [...steps, { key: k }], depth + 1);
      if (s.additionalProperties !== undefined && s.additionalProperties !== false) leaf([...steps, { key: OPEN_MEMBER }], {});
      return;
    }
    if (types.includes('array')) return walk(s.items, [...steps, { item: true }], depth + 1);
    if (types.includes('string') || types.length === 0) leaf(steps, s);
  };
  walk(schema, [], 0);
  return out;
}

/** Valid text for fields that carry a pattern the random sample would not meet, by field name. */
const VALID_TEXT: Record<string, string> = {
  code: 'HOSTILE_1', country: 'SG', citizenship: 'SG', citizenships: 'SG', eligibleCitizenships: 'SG', currency: 'SGD',
  bic: 'DBSSSGSG', iban: 'DE89370400440532013000', bankCode: '7171', accountNumber: '0123456789', registrationNumber: '201912345K',
  kid: 'hostile-kid', category: 'data-analytics', credential: 'eyJhbGciOiJFZERTQSJ9.e30.c2ln', contactEmail: 'ops@academy.example',
  nationalId: 'S1234567D', fullName: 'Ada Lovelace', legalName: 'Hostile Academy', accountName: 'Hostile Academy',
};

export interface SampleContext {
  ids: Record<string, string>;
  now: () => Date;
  seed: number;
}

/** A valid value for a schema: required members only, known-valid text by name, a matching string for a pattern. */
export function validSample(doc: OpenApiDocument, ctx: SampleContext) {
  const resolve = resolver(doc);
  const sample = (s0: Schema | undefined, name = ''): Json => {
    const s = resolve(s0);
    const branches = s.oneOf ?? s.anyOf;
    if (branches?.length) return sample(branches.find((b) => !typesOf(resolve(b)).includes('null')) ?? branches[0], name);
    if (s.enum?.length) return s.enum[0]!;
    if (s.example !== undefined) return s.example;
    const types = typesOf(s);
    if (s.properties || types.includes('object')) {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) if ((s.required ?? []).includes(k)) out[k] = sample(v, k);
      return out;
    }
    if (types.includes('array')) return [sample(s.items, name)];
    if (types.includes('integer') || types.includes('number')) return s.minimum ?? 1;
    if (types.includes('boolean')) return true;
    if (types.includes('string')) {
      if (s.format === 'uuid') return ctx.ids[name] ?? '018f0000-0000-7000-8000-000000000000';
      if (s.format === 'date-time') return new Date(ctx.now().getTime() + 86_400_000).toISOString();
      if (s.format === 'date') return '2027-06-01';
      if (s.format === 'email') return 'ops@academy.example';
      if (VALID_TEXT[name] !== undefined) return VALID_TEXT[name];
      if (s.pattern) return fc.sample(fc.stringMatching(new RegExp(s.pattern)), { numRuns: 1, seed: ctx.seed })[0]!;
      return 'x'.repeat(Math.max(s.minLength ?? 3, 3));
    }
    return 'x';
  };
  return sample;
}

/** Whether an object already is an instance of a union branch (has its required members and no others). */
function isOfBranch(doc: OpenApiDocument, value: Json | undefined, branch: Schema): boolean {
  const s = resolver(doc)(branch);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return typesOf(s).some((t) => t === typeof value);
  const props = s.properties ?? {};
  const kindMatches = Object.entries(props).every(([k, p]) => {
    const e = resolver(doc)(p).enum;
    return !(e?.length === 1 && k in value) || value[k] === e[0];
  });
  return kindMatches && (s.required ?? []).every((k) => k in value) && Object.keys(value).every((k) => k in props);
}

/**
 * `body` with the field at `steps` set to `leaf` (a placeholder the caller
 * swaps for the hostile JSON text): missing containers are created from valid
 * samples, a union member is replaced by a sample of the branch named when it
 * is not already of that branch. Returns a new value; `body` is not changed.
 */
export function setAt(doc: OpenApiDocument, sample: (s: Schema | undefined, name?: string) => Json, schema: Schema | undefined, body: Json | undefined, steps: Step[], leaf: Json): Json {
  const resolve = resolver(doc);
  const [step, ...rest] = steps;
  if (!step) return leaf;
  let s = resolve(schema);
  if (s.allOf) {
    // Members spread over the parts of an allOf: one object schema with all of them.
    const parts = s.allOf.map(resolve);
    s = { ...s, properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})), required: parts.flatMap((p) => p.required ?? []) };
  }
  const union = s.oneOf ?? s.anyOf;
  if (union && !('branch' in step)) {
    // A nullable value (anyOf [T, null]) walked through without a branch step: T.
    return setAt(doc, sample, union.find((b) => typesOf(resolve(b)).join() !== 'null'), body, steps, leaf);
  }
  if ('branch' in step) {
    const b = (s.oneOf ?? s.anyOf)![step.branch]!;
    return setAt(doc, sample, b, isOfBranch(doc, body, b) ? body : sample(b), rest, leaf);
  }
  if ('key' in step) {
    const obj: Record<string, Json> = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...body } : {};
    const prop = s.properties?.[step.key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : {});
    obj[step.key] = setAt(doc, sample, prop, obj[step.key] ?? (rest.length ? sample(prop, step.key) : undefined), rest, leaf);
    return obj;
  }
  const arr = Array.isArray(body) && body.length ? [...body] : [sample(s.items)];
  arr[0] = setAt(doc, sample, s.items, arr[0], rest, leaf);
  return arr;
}

/** A deterministic seed per name, so adding a field does not change what the others get. */
export function seedFor(base: number, name: string): number {
  let h = base | 0;
  for (let i = 0; i < name.length; i += 1) h = Math.imul(h ^ name.charCodeAt(i), 0x9e3779b1) | 0;
  return h;
}
