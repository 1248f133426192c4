/** English messages of the finance pages: the reference for this area. Every other language has exactly these keys (test/web/messages.test.ts). */
export default {
} as const;
