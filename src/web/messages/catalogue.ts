import type en from './en.js';

/** A language's messages: every key of the English catalogue, each a string. */
export type MessageKey = keyof typeof en;
export type Catalogue = Record<MessageKey, string>;
