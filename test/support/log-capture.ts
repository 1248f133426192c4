import { Writable } from 'node:stream';

/** A pino destination that keeps every line, raw and parsed, for a test to read. */
export function captureLogs() {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const reset = () => {
    raw.length = 0;
    lines.length = 0;
  };
  return { sink, raw, lines, reset };
}
