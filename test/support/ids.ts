/** Valid national ids for tests, built with each country's check rule. */
const nricWeights = [2, 7, 6, 5, 4, 3, 2];

export function singaporeNric(n: number, prefix: 'S' | 'T' = 'S'): string {
  const digits = String(n % 10_000_000).padStart(7, '0');
  let sum = [...digits].reduce((s, d, i) => s + Number(d) * nricWeights[i]!, 0);
  if (prefix === 'T') sum += 4;
  return `${prefix}${digits}${'JZIHGFEDCBA'[sum % 11]}`;
}

let counter = Math.floor(Math.random() * 9_000_000);
export const nextNric = (): string => singaporeNric(++counter);
