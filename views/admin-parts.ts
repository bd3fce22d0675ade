import { html, type SafeHtml } from './html.js';

/** A labelled control with an optional hint (`{id}-hint`, for the control's aria-describedby). */
export function field(id: string, label: string, input: SafeHtml, hint?: string): SafeHtml {
  return html`<div class="field"><label for="${id}">${label}</label>${input}${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ''}</div>`;
}

/** A section with its heading and the aria-live region the script writes results into. */
export function section(id: string, title: string, body: SafeHtml, wide = false): SafeHtml {
  return html`<section class="card${wide ? ' wide' : ''}" aria-labelledby="${id}-title">
<h2 id="${id}-title">${title}</h2>
${body}
<p class="result" role="status" aria-live="polite"></p>
</section>`;
}
