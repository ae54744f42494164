/*
 * Validators built from the provider's own OpenAPI files (no copies of their
 * schemas): ajv loads each document whole and compiles JSON pointers into it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

/** The provider's published contract, vendored verbatim (contract/README.md). */
export const OPENAPI_DIR = fileURLToPath(new URL('../../contract/provider-api/openapi', import.meta.url));

type Json = Record<string, unknown>;
const load = (name: string): Json => JSON.parse(readFileSync(`${OPENAPI_DIR}/${name}`, 'utf8')) as Json;

export const sendDoc = load('openapi-send.json');
export const conversationsDoc = load('openapi-conversations.json');
export const whDoc = load('wh.json');

/** JSON pointer escaping of one path segment. */
const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function withIntFormats<T extends Ajv | Ajv2020>(ajv: T): T {
  addFormats(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
  return ajv;
}

// OpenAPI 3.0 schemas are draft-04-ish with `nullable` (ajv knows it) and `example` (annotation: strict off).
const ajv30 = withIntFormats(new Ajv({ strict: false, allErrors: true }));
ajv30.addSchema(sendDoc, 'send');
ajv30.addSchema(conversationsDoc, 'conversations');

/**
 * wh.json's event schemas are `allOf: [WebhookEvent, { properties: {type, data},
 * additionalProperties: false }]`. Under JSON Schema that second branch forbids
 * id/timestamp/api_version, so as published no event (not even the file's own
 * examples) can validate. The intent is "nothing beyond the envelope": we
 * express exactly that with unevaluatedProperties (2020-12, the dialect of
 * OpenAPI 3.1), generically, on a copy of the document.
 */
export function repairAllOfAdditionalProperties(doc: Json): Json {
  const copy = structuredClone(doc) as { components: { schemas: Record<string, Json> } };
  for (const schema of Object.values(copy.components.schemas)) {
    const allOf = schema.allOf as Json[] | undefined;
    if (!allOf) continue;
    let closed = false;
    for (const branch of allOf) {
      if (branch.additionalProperties === false) {
        delete branch.additionalProperties;
        closed = true;
      }
    }
    // The referenced WebhookEvent closes itself too; open it where it is composed.
    if (closed) {
      schema.allOf = allOf.map((b) =>
        typeof b.$ref === 'string' ? { $ref: `${b.$ref}Open` } : b,
      );
      schema.unevaluatedProperties = false;
    }
  }
  const schemas = copy.components.schemas;
  for (const [name, schema] of Object.entries({ ...schemas })) {
    if (schema.additionalProperties === false && !name.endsWith('Open')) {
      const open = structuredClone(schema);
      delete open.additionalProperties;
      schemas[`${name}Open`] = open;
    }
  }
  return copy as unknown as Json;
}

const ajvWh = withIntFormats(new Ajv2020({ strict: false, allErrors: true }));
ajvWh.addSchema(whDoc, 'wh-as-published');
ajvWh.addSchema(repairAllOfAdditionalProperties(whDoc), 'wh');

function compile(ajv: Ajv | Ajv2020, ref: string): ValidateFunction {
  const v = ajv.getSchema(ref);
  if (!v) throw new Error(`no schema at ${ref}`);
  return v;
}

function pointerExists(doc: Json, pointer: string): boolean {
  let node: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node || typeof node !== 'object' || !(key in node)) return false;
    node = (node as Json)[key];
  }
  return true;
}

/** Validator of a request body: `send` document, path like "/imessage/typing". */
export function requestBodyValidator(path: string): ValidateFunction {
  return compile(ajv30, `send#/paths/${esc(path)}/post/requestBody/content/application~1json/schema`);
}

/**
 * Validator of an answer for a documented status. Undocumented statuses
 * (404, 429, 503) are checked against the generic error envelope, which is
 * what the provider documents for its errors (the 500 answer).
 */
export function responseValidator(doc: 'send' | 'conversations', path: string, method: 'post' | 'get', status: number): ValidateFunction {
  const d = doc === 'send' ? sendDoc : conversationsDoc;
  const base = `/paths/${esc(path)}/${method}/responses`;
  const code = pointerExists(d, `${base}/${status}`) ? String(status) : '500';
  return compile(ajv30, `${doc}#${base}/${code}/content/application~1json/schema`);
}

export function pathParameters(doc: 'send' | 'conversations', path: string, method: 'get' | 'post'): { name: string; in: string; required?: boolean; schema: Json }[] {
  const d = (doc === 'send' ? sendDoc : conversationsDoc) as { paths: Record<string, Record<string, { parameters?: unknown[] }>> };
  return (d.paths[path]?.[method]?.parameters ?? []) as { name: string; in: string; required?: boolean; schema: Json }[];
}

/** Validator of a webhook event of `type` as the `webhooks` section names its schema. */
export function webhookValidator(type: string, asPublished = false): ValidateFunction {
  const hooks = whDoc.webhooks as Record<string, { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }>;
  const hook = hooks[type];
  if (!hook) throw new Error(`wh.json has no webhook ${type}`);
  const ref = hook.post.requestBody.content['application/json']!.schema.$ref;
  return compile(ajvWh, `${asPublished ? 'wh-as-published' : 'wh'}${ref}`);
}

export function webhookExamples(): { type: string; example: unknown }[] {
  const hooks = whDoc.webhooks as Record<string, { post: { requestBody: { content: Record<string, { example: unknown }> } } }>;
  return Object.entries(hooks).map(([type, h]) => ({ type, example: h.post.requestBody.content['application/json']!.example }));
}

export function explain(v: ValidateFunction): string {
  return JSON.stringify(v.errors ?? [], null, 1);
}

/**
 * Where a request the simulator received breaks the provider's contract:
 * its path must be one the contract documents, a POST body must validate
 * against that operation's request schema, and the simulator must have
 * accepted it (200). Empty when it is on contract.
 */
export function offContract(r: { method: string; path: string; body: unknown; status: number }): string[] {
  const doc = r.path.startsWith('/send/') ? sendDoc : r.path.startsWith('/conversations/') ? conversationsDoc : undefined;
  if (!doc) return [`${r.method} ${r.path}: not a documented path`];
  const rel = r.path.replace(/^\/(send|conversations)/, '');
  const problems: string[] = [];
  if (r.method === 'POST') {
    if (!pointerExists(doc, `/paths/${esc(rel)}/post`)) return [`POST ${r.path}: not a documented operation`];
    const v = requestBodyValidator(rel);
    if (!v(r.body)) problems.push(`POST ${r.path}: ${explain(v)}`);
  } else {
    // A GET's path must fit one of the document's path templates ({to}, {from}, {limit}…), segment by segment.
    const segments = rel.split('/');
    const paths = Object.entries((doc as { paths: Record<string, Record<string, unknown>> }).paths);
    const fits = paths.some(([template, ops]) => {
      const t = template.split('/');
      return r.method.toLowerCase() in ops && t.length === segments.length && t.every((seg, i) => /^\{[^}]+\}$/.test(seg) || seg === segments[i]);
    });
    if (!fits) return [`${r.method} ${r.path}: not a documented operation`];
  }
  if (r.status !== 200) problems.push(`${r.method} ${r.path}: answered ${r.status}`);
  return problems;
}
