import type { NoticeChannelName } from '../../db/schema/notices.js';

/** A notice as written for one learner, in their language. */
export interface NoticeMessage {
  /** A BCP 47 language tag (en, ms, id, zh-Hans, ta). */
  lang: string;
  subject: string;
  text: string;
}

/** One way of reaching a learner: email, SMS. `to` is an address or an E.164 number. */
export interface NoticeChannel {
  send(to: string, message: NoticeMessage): Promise<void>;
}

/** The channels this deployment can send on; one left out gets no notices recorded. */
export type NoticeChannels = Partial<Record<NoticeChannelName, NoticeChannel>>;

/**
 * A failed send, with a code that is safe to keep and log: a mail server's
 * or gateway's answer can quote the recipient, so its text is never kept.
 */
export class ChannelError extends Error {
  constructor(readonly code: string) {
    super(`notice channel failed: ${code}`);
  }
}

/** The code of a send failure: ours, or the transport's own code (ECONNECTION, EENVELOPE), never its message. */
export function channelErrorCode(err: unknown): string {
  if (err instanceof ChannelError) return err.code;
  const e = err as { code?: unknown; responseCode?: unknown } | null;
  const code = typeof e?.code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(e.code) ? e.code : 'send_failed';
  return typeof e?.responseCode === 'number' ? `${code}_${e.responseCode}` : code;
}
