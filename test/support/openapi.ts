import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;

/** JSON Schema 2020-12 (the dialect of OpenAPI 3.1) with the document's components reachable as `doc#/...`. */
export function schemaChecker(document: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(ajv);
  // OpenAPI's own schema keywords (not JSON Schema): allowed, ignored.
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  ajv.addSchema({ $id: 'doc', components: rebase(document.components ?? {}, false) });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return (schema: Json, value: unknown): string[] => {
    const key = JSON.stringify(schema);
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(rebase(schema, true));
      compiled.set(key, validate);
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

/** Local refs (`#/components/...`) of a schema lifted out of the document point into `doc`. */
function rebase(value: Json, lift: boolean): Json {
  if (Array.isArray(value)) return value.map((item) => rebase(item, lift));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && lift && typeof item === 'string' && item.startsWith('#/')
        ? `doc${item}`
        : rebase(item, lift),
    ]),
  );
}

/** The JSON response schema the document gives for an operation and status. */
export function responseSchema(document: Json, method: string, path: string, status: number): Json {
  const response = document.paths?.[path]?.[method.toLowerCase()]?.responses?.[String(status)];
  const schema = response?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`the document has no JSON response ${status} for ${method} ${path}`);
  return schema;
}
