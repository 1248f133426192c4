import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Summarises V8 CPU profiles (node --cpu-prof) by where the time was spent:
 * self time per npm package, per folder of src/, per node internal and for
 * garbage collection, idle and the program itself, with the top frames.
 * `npm run bench -- profile <file.cpuprofile>...`
 */
interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export function ownerOf(url: string, functionName: string): string {
  if (url === '') return functionName === '(garbage collector)' ? 'gc' : functionName === '(idle)' ? 'idle' : functionName === '(program)' ? 'program' : 'native';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  // src/ under tsx, dist/ in the production build: both by folder, named as in src/.
  const src = Math.max(url.indexOf('/src/'), url.indexOf('/dist/'));
  if (src >= 0) {
    const parts = url.slice(src + 1).replace(/^dist\//, 'src/').split('/');
    return parts.length > 3 ? parts.slice(0, 3).join('/') : parts.slice(0, 2).join('/');
  }
  return path.basename(url);
}

export async function summarise(files: string[]) {
  const byOwner = new Map<string, number>();
  const byFrame = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const node = nodes.get(id)!;
      const us = profile.timeDeltas[i] ?? 0;
      const { url, functionName, lineNumber } = node.callFrame;
      const owner = ownerOf(url, functionName);
      total += us;
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
      const frame = `${owner} ${functionName || '(anonymous)'}:${lineNumber + 1}`;
      byFrame.set(frame, (byFrame.get(frame) ?? 0) + us);
    });
  }
  const busy = total - (byOwner.get('idle') ?? 0);
  const pct = (us: number) => ((100 * us) / busy).toFixed(1);
  const top = (m: Map<string, number>, n: number) => [...m].filter(([k]) => k !== 'idle' && !k.startsWith('idle ')).sort((a, b) => b[1] - a[1]).slice(0, n);
  return { busyMs: busy / 1000, owners: top(byOwner, 25).map(([k, v]) => ({ owner: k, ms: v / 1000, pct: pct(v) })), frames: top(byFrame, 30).map(([k, v]) => ({ frame: k, ms: v / 1000, pct: pct(v) })) };
}

export async function main(args: string[]) {
  const s = await summarise(args);
  console.log(`busy ${s.busyMs.toFixed(0)} ms (idle left out)\n\n| where | ms | % of busy |\n|---|---:|---:|`);
  for (const o of s.owners) console.log(`| ${o.owner} | ${o.ms.toFixed(0)} | ${o.pct} |`);
  console.log('\n| top frames (self time) | ms | % |\n|---|---:|---:|');
  for (const f of s.frames) console.log(`| ${f.frame} | ${f.ms.toFixed(0)} | ${f.pct} |`);
}
