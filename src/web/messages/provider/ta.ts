import type en from './en.js';

/** Tamil: the provider pages. */
export default {
} satisfies Record<keyof typeof en, string>;
