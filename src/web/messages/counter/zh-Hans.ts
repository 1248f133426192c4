import type en from './en.js';

/** Simplified Chinese: the counter pages. */
export default {
} satisfies Record<keyof typeof en, string>;
