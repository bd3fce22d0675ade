import { html, SafeHtml } from './html.js';

/** Trusted constant CSS: SafeHtml, so quotes in it are not escaped. */
const STYLE = new SafeHtml(`
  body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f6f8;color:#1b1f24;margin:0}
  main{max-width:26rem;margin:4rem auto;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:2rem}
  h1{font-size:1.4rem;margin:0 0 1rem}
  p{line-height:1.5}
  label{display:block;font-weight:600;margin-bottom:.4rem}
  input[type=email]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #9aa3ad;border-radius:4px}
  button,.button{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem;border:0;border-radius:4px;background:#0f6cbd;color:#fff;text-decoration:none;cursor:pointer}
  .muted{color:#5b6570;font-size:.9rem}
  .code{font-family:ui-monospace,monospace;font-size:.8rem;color:#5b6570}
`);

/**
 * The HTML document every page uses: no external resources. `nonce` marks the inline style
 * and script for a CSP that allows only them (the admin page); without it, no script at all.
 */
export function documentShell(options: {
  title: string;
  body: SafeHtml;
  style: SafeHtml | string;
  nonce?: string;
  script?: SafeHtml | string;
}): string {
  const { title, body, style, nonce, script } = options;
  const nonceAttribute = nonce ? html` nonce="${nonce}"` : '';
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style${nonceAttribute}>${style}</style>
</head>
<body>${body}${script !== undefined ? html`<script${nonceAttribute}>${script}</script>` : ''}</body>
</html>`.value;
}

/** The sign-in and notice pages' shell: no script, so the CSP can stay `default-src 'none'`. */
export function page(title: string, body: SafeHtml): string {
  return documentShell({ title, body: html`<main>${body}</main>`, style: STYLE });
}

/** Headers for every page we render: not framed, not cached (they carry per-sign-in state), no scripts. */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};
