import type en from './en.js';

/** Bahasa Melayu: the provider pages. */
export default {
} satisfies Record<keyof typeof en, string>;
