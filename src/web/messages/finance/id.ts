import type en from './en.js';

/** Bahasa Indonesia: the finance pages. */
export default {
} satisfies Record<keyof typeof en, string>;
