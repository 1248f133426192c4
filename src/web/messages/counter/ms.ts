import type en from './en.js';

/** Bahasa Melayu: the counter pages. */
export default {
} satisfies Record<keyof typeof en, string>;
