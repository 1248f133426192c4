import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocumentForRoutes } from '../http/openapi-document.js';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi/openapi.json');
await writeFile(target, `${JSON.stringify(openApiDocumentForRoutes(), null, 2)}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
