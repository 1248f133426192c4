import type { Response } from 'express';
import { csvLine } from '../../lib/csv.js';

export { csvField, csvLine } from '../../lib/csv.js';


/**
 * Streams a CSV: headers and the header row go out at once, then each batch
 * as the producer yields it, waiting for the socket to drain. A failure after
 * the first byte can no longer become a problem response: the connection is
 * cut so the client sees a truncated download, never a short file that looks
 * complete.
 */
export async function streamCsv(
  res: Response, filename: string, header: readonly string[], batches: AsyncIterable<readonly (readonly (string | number | boolean | null | undefined)[])[]>,
): Promise<void> {
  let started = false;
  // Headers go out with the first batch, so a failure before it can still be a problem+json.
  const start = () => {
    if (started) return;
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.write(csvLine(header));
    started = true;
  };
  try {
    for await (const rows of batches) {
      start();
      if (rows.length === 0) continue;
      const ok = res.write(rows.map(csvLine).join(''));
      if (!ok) await new Promise<void>((resolve) => res.once('drain', resolve));
    }
    start();
    res.end();
  } catch (err) {
    if (!started) throw err;
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}
