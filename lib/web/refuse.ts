import type { Request, Response } from 'express';
import { PAGE_HEADERS } from '../../views/layout.js';
import { noticePage } from '../../views/sso.js';
import { prefersHtml } from './http.js';

/** A refusal as a person reads it (title, message, a way forward) and as a program parses it (`error`). */
export interface RefusalPage {
  status: number;
  title: string;
  message: string;
  /** The JSON answer's `error` (default: the title) and the page's "Reference:" line when `reference`. */
  error?: string;
  /** Shown on the page as "Reference: …" (the sign-in refusal codes). */
  reference?: string;
  link?: { href: string; text: string };
  /** More fields of the JSON answer (e.g. where to sign in instead). */
  json?: Record<string, unknown>;
}

/** An HTML page with the connector's page headers (CSP, no caching). */
export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set(PAGE_HEADERS).type('html').send(html);
}

/**
 * The one refusal-page helper: the notice page for browsers, `{ error, message }` JSON for
 * programs; `html` always answers the page (the sign-in flow only ever talks to browsers).
 */
export function refuse(req: Request, res: Response, refusal: RefusalPage, options: { html?: boolean } = {}): void {
  if (options.html || prefersHtml(req)) {
    sendPage(
      res,
      refusal.status,
      noticePage({ title: refusal.title, message: refusal.message, code: refusal.reference, link: refusal.link }),
    );
    return;
  }
  res.status(refusal.status).json({ error: refusal.error ?? refusal.title, message: refusal.message, ...refusal.json });
}
