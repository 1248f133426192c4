/** English messages of the counter pages: the reference for this area. Every other language has exactly these keys (test/web/messages.test.ts). */
export default {
} as const;
