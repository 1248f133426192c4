import express, { type Request, type Response } from 'express';
import { AppError } from '../lib/app-error.js';

/** One uploaded file of a multipart/form-data form. */
export interface UploadedFile {
  filename: string;
  data: Buffer;
}

const uploads = new WeakMap<Request, Record<string, UploadedFile>>();

/** The files a multipart form carried, by field name (empty for any other form). */
export const uploadsOf = (req: Request): Record<string, UploadedFile> => uploads.get(req) ?? {};

const MAX_PARTS = 10;
const malformed = () => new AppError('bad_request', 'the form is not valid multipart/form-data');

/**
 * Parses a whole multipart/form-data body held in memory (RFC 7578). Only
 * for small forms: the caller bounds the body first. Text fields become
 * strings; parts with a filename become files.
 */
export function parseMultipart(body: Buffer, contentType: string): { fields: Record<string, string>; files: Record<string, UploadedFile> } {
  const boundary = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) throw malformed();
  const delimiter = Buffer.from(`--${b}`);
  const next = Buffer.from(`\r\n--${b}`);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const files: Record<string, UploadedFile> = Object.create(null) as Record<string, UploadedFile>;
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw malformed();
  pos += delimiter.length;
  for (let parts = 0; ; parts += 1) {
    const after = body.subarray(pos, pos + 2).toString('latin1');
    if (after === '--') break;
    if (after !== '\r\n' || parts >= MAX_PARTS) throw malformed();
    pos += 2;
    const end = body.indexOf(next, pos);
    if (end < 0) throw malformed();
    const part = body.subarray(pos, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw malformed();
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const disposition = /^content-disposition:\s*form-data\b(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]{1,100})"/i.exec(disposition)?.[1];
    if (!name) throw malformed();
    const filename = /;\s*filename="([^"]{0,255})"/i.exec(disposition)?.[1];
    const content = part.subarray(headerEnd + 4);
    if (filename !== undefined) {
      // A file input left empty still sends its part, with no name and no bytes.
      if (filename !== '' || content.length > 0) files[name] = { filename, data: Buffer.from(content) };
    } else {
      fields[name] = content.toString('utf8');
    }
    pos = end + next.length;
  }
  return { fields, files };
}

/**
 * Reads a multipart/form-data request of at most `maxBytes` into req.body
 * (its text fields) and uploadsOf(req) (its files). Any other content type
 * is left alone. A larger body is refused with 413 before it is read whole.
 */
export async function readMultipart(req: Request, res: Response, maxBytes: number): Promise<void> {
  if (!req.is('multipart/form-data')) return;
  const raw = express.raw({ type: 'multipart/form-data', limit: maxBytes });
  await new Promise<void>((resolve, reject) => raw(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
  if (!Buffer.isBuffer(req.body)) throw malformed();
  const { fields, files } = parseMultipart(req.body, req.get('content-type') ?? '');
  req.body = fields;
  uploads.set(req, files);
}
