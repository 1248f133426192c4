import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML } from 'xmllint-wasm';

/**
 * The ISO 20022 schemas live beside the project, in ../shared/reference/iso20022/
 * (the project does not copy them). Where the folder is absent, for example on
 * a user's machine, schema checks skip and say so.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const iso20022SchemaDir = process.env.ISO20022_SCHEMA_DIR ?? path.resolve(root, '../shared/reference/iso20022');

export const SCHEMAS = {
  pain001: 'pain.001.001.09.xsd',
  epcSctPain001: 'epc-sct-pain.001.001.09.xsd',
  camt053: 'camt.053.001.08.xsd',
} as const;
export type SchemaName = keyof typeof SCHEMAS;

export const schemasAvailable = Object.values(SCHEMAS).every((f) => existsSync(path.join(iso20022SchemaDir, f)));
export const schemasMissingReason = `ISO 20022 schemas not found in ${iso20022SchemaDir}: XSD conformance checks skipped`;
if (!schemasAvailable) console.warn(schemasMissingReason);

const cache = new Map<SchemaName, Promise<string>>();
const schemaText = (name: SchemaName) => {
  let text = cache.get(name);
  if (!text) {
    text = readFile(path.join(iso20022SchemaDir, SCHEMAS[name]), 'utf8');
    cache.set(name, text);
  }
  return text;
};

/** Validates a document against one of the schemas with libxml2 (xmllint-wasm). Returns the errors; empty when valid. */
export async function schemaErrors(name: SchemaName, xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'document.xml', contents: xml }],
    schema: [{ fileName: SCHEMAS[name], contents: await schemaText(name) }],
    maxMemoryPages: 4096,
  });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}
