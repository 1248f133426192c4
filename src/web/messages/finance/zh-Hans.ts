import type en from './en.js';

/** Simplified Chinese: the finance pages. */
export default {
} satisfies Record<keyof typeof en, string>;
