import type { Request, Response } from 'express';
import { escapeHtml } from '../../views/html.js';
import { prefersHtml } from './http.js';

/** A refusal a person can read (HTML for browsers) or a program can parse (JSON otherwise). */
export function refuse(req: Request, res: Response, status: number, title: string, message: string): void {
  res.status(status);
  if (prefersHtml(req)) {
    res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`);
  } else {
    res.json({ error: title, message });
  }
}
