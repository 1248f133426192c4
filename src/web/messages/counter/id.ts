import type en from './en.js';

/** Bahasa Indonesia: the counter pages. */
export default {
} satisfies Record<keyof typeof en, string>;
