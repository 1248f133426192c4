import type en from './en.js';

/** Simplified Chinese: the provider pages. */
export default {
} satisfies Record<keyof typeof en, string>;
