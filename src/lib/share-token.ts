import { createHash, randomBytes } from 'node:crypto';

/**
 * A credential share link's secret: `lcs_` and 32 random bytes in base64url.
 * It is shown to the learner once; the service keeps only its SHA-256 (an
 * unguessable 256-bit secret needs no slow hash). The prefix lets every log
 * line be scrubbed of it wherever it turns up (maskLogLine), since the token
 * travels in the link's path.
 */
const PREFIX = 'lcs_';
const tokenPattern = /lcs_[A-Za-z0-9_-]{43}/g;

export const newShareToken = (): string => `${PREFIX}${randomBytes(32).toString('base64url')}`;

export const isShareToken = (text: string): boolean => /^lcs_[A-Za-z0-9_-]{43}$/.test(text);

export const shareTokenSha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The text with every share token replaced by `lcs_***`. */
export const maskShareTokens = (text: string): string => text.replace(tokenPattern, `${PREFIX}***`);
