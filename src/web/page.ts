import type { Request, Response } from 'express';
import type { Principal, Role } from '../lib/principal.js';
import type { Logger } from '../lib/logger.js';
import type { Session } from './auth/session.js';
import type { Html } from './html.js';
import type { Formatter, Lang, Translate } from './i18n.js';

export interface PageContext {
  /** The signed-in person; undefined only on public pages. */
  principal: Principal | undefined;
  session: Session | undefined;
  lang: Lang;
  t: Translate;
  fmt: Formatter;
  /** For forms: the session's synchronizer token (empty when signed out). */
  csrf: string;
  requestId: string;
  log: Logger;
  req: Request;
  res: Response;
}

/** A page's answer: HTML inside the layout, or a redirect (after a POST: 303, redirect-after-post). */
export type PageReply =
  | { status?: number; title: string; body: Html; wide?: boolean }
  | { redirect: string; status?: 302 | 303 }
  /** Sent as it is, without the layout: a region a script refreshes, or a file to download. */
  | { raw: string | Html; type: string; status?: number; headers?: Record<string, string> };

export interface PageSpec {
  method: 'get' | 'post';
  /** Express form: /enrolments/:enrolmentId/consent. */
  path: string;
  /** Who may open it, declared as on API routes; 'public' pages need no sign-in. */
  roles: readonly Role[] | 'public';
  handler(ctx: PageContext): Promise<PageReply>;
}

export const definePage = (spec: PageSpec): PageSpec => spec;
