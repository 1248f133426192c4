import type en from './en.js';

/** Bahasa Melayu: the finance pages. */
export default {
} satisfies Record<keyof typeof en, string>;
