import type counter from './counter/en.js';
import type en from './en.js';
import type finance from './finance/en.js';
import type notices from './notices/en.js';
import type provider from './provider/en.js';

/**
 * A language's messages: every key of the English catalogues, each a string.
 * The citizen portal and sign-in keep theirs in the top files; each staff area has its own folder, and so do
 * the contact-details page and the learner notices (notices/).
 */
export type MessageKey = keyof typeof en | keyof typeof provider | keyof typeof finance | keyof typeof counter | keyof typeof notices;
export type Catalogue = Record<keyof typeof en, string>;
