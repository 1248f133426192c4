import type en from './en.js';

/** Tamil: the finance pages. */
export default {
} satisfies Record<keyof typeof en, string>;
