import type en from './en.js';

/** Tamil: the counter pages. */
export default {
} satisfies Record<keyof typeof en, string>;
