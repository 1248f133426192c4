import type en from './en.js';

/** Bahasa Indonesia: the provider pages. */
export default {
} satisfies Record<keyof typeof en, string>;
