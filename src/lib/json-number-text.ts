/**
 * A JSON number as it was written, when it was written with a fraction or an
 * exponent (`100.0`, `1e3`, `100.0000000000000001`) or is an integer beyond
 * 2^53 − 1. JSON.parse would round such a token to the nearest double and the
 * difference would be gone before any schema saw it. The parser keeps it in
 * this box instead: a schema that wants a plain number (z.number()) refuses
 * the box, the money schema says why (money is a string of minor units or a
 * safe integer), and a field that takes any JSON (a JWK member) still
 * serialises it as the number (JSON.stringify unwraps Number objects).
 */
export class JsonNumberText extends Number {
  constructor(readonly source: string) {
    super(Number(source));
  }
}
