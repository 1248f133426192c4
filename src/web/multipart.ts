import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from '../lib/app-error.js';

/** One uploaded file of a multipart/form-data form. */
export interface UploadedFile {
  filename: string;
  data: Buffer;
}

/** What a page that takes a file accepts: the one file field it declares, in a body of at most maxBytes. */
export interface UploadLimits {
  maxBytes: number;
  /** The name of the form's file input; a file under any other name is refused. */
  field: string;
}

const uploads = new WeakMap<Request, Record<string, UploadedFile>>();

/** The files a multipart form carried, by field name (empty for any other form). */
export const uploadsOf = (req: Request): Record<string, UploadedFile> => uploads.get(req) ?? {};

const MAX_PARTS = 10;
const malformed = () => new AppError('bad_request', 'the form is not valid multipart/form-data');
const tooLarge = (maxBytes: number) => new AppError('payload_too_large', `the form is larger than the ${maxBytes} bytes it takes`);

/**
 * Reads a multipart/form-data request (RFC 7578) with busboy into req.body
 * (its text fields) and uploadsOf(req) (its one file). Any other content type
 * is left alone. A body, file or field above maxBytes is a 413 as soon as it
 * shows, without reading the rest; more than MAX_PARTS parts, a second file,
 * a file under an undeclared name or a broken body is a 400.
 */
export async function readMultipart(req: Request, limits: UploadLimits): Promise<void> {
  if (!req.is('multipart/form-data')) return;
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const { fields, files } = await parse(req, limits);
  req.body = fields;
  uploads.set(req, files);
}

function parse(req: Request, limits: UploadLimits): Promise<{ fields: Record<string, string>; files: Record<string, UploadedFile> }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    const files: Record<string, UploadedFile> = Object.create(null) as Record<string, UploadedFile>;
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers, defCharset: 'utf8',
        limits: { parts: MAX_PARTS, fields: MAX_PARTS, files: 1, fileSize: limits.maxBytes, fieldSize: limits.maxBytes },
      });
    } catch {
      reject(malformed());
      return;
    }
    let settled = false;
    let received = 0;
    // Stop reading at the first problem, as body-parser does: the rest of the body is left unread.
    const fail = (error: AppError) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      req.unpipe(parser);
      req.pause();
      parser.removeAllListeners();
      parser.on('error', () => {});
      reject(error);
    };
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBytes) fail(tooLarge(limits.maxBytes));
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(tooLarge(limits.maxBytes));
      else fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== limits.field) {
        stream.resume();
        fail(new AppError('bad_request', `the form takes a file only as ${limits.field}`));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(tooLarge(limits.maxBytes)));
      stream.on('end', () => {
        const data = Buffer.concat(chunks);
        // A file input left empty still sends its part, with no name (busboy reads filename="" as none) and no bytes.
        const filename = info.filename ?? '';
        if (!settled && (filename !== '' || data.length > 0)) files[name] = { filename, data };
      });
    });
    parser.on('partsLimit', () => fail(malformed()));
    parser.on('fieldsLimit', () => fail(malformed()));
    parser.on('filesLimit', () => fail(malformed()));
    parser.on('error', () => fail(malformed()));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      resolve({ fields, files });
    });
    req.on('data', count);
    req.on('aborted', () => fail(malformed()));
    req.pipe(parser);
  });
}
