import { SafeHtml } from './html.js';

/**
 * The admin page's CSS: a trusted constant (SafeHtml, so quotes are not escaped), inlined under
 * the CSP nonce. Same palette as layout.ts, but a wide two-column grid for tables and forms.
 */
export const ADMIN_STYLE = new SafeHtml(`
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f6f8;color:#1b1f24;margin:0;line-height:1.45}
.top{background:#fff;border-bottom:1px solid #d5d9de;padding:.6rem 1.5rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
.product{margin:0;font-weight:600;color:#0f6cbd}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1rem}
nav a{color:#0f6cbd}
nav a[aria-current=page]{font-weight:700;color:#1b1f24;text-decoration:none}
main{max-width:80rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 1.2rem}
h2{font-size:1.1rem;margin:0 0 .8rem}
.muted{color:#5b6570;font-size:.95rem;font-weight:400}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(28rem,1fr));gap:1.2rem;align-items:start}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:1.2rem 1.4rem;min-width:0}
.card.wide{grid-column:1/-1}
.field{margin:0 0 .9rem;min-width:0}
label{display:block;font-weight:600;margin-bottom:.3rem}
caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:.3rem}
input,select,textarea{font:inherit;width:100%;padding:.45rem .55rem;border:1px solid #9aa3ad;border-radius:4px;background:#fff;color:inherit}
input[readonly]{background:#f5f6f8;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
textarea{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;resize:vertical}
input[aria-invalid=true],textarea[aria-invalid=true],select[aria-invalid=true]{border-color:#b3261e;outline:2px solid #b3261e}
fieldset{border:1px solid #d5d9de;border-radius:6px;padding:.6rem .9rem .9rem;margin:0 0 1rem;min-width:0}
fieldset[aria-invalid=true]{border-color:#b3261e;border-width:2px}
legend{font-weight:600;padding:0 .3rem}
.field-error{color:#b3261e;font-weight:600;font-size:.9rem;margin:.2rem 0 .6rem}
table.rows{margin-bottom:.5rem}
table.rows td{padding:.3rem .4rem .3rem 0;border-bottom:0}
table.rows input,table.rows select{min-width:9rem}
.check{display:grid;grid-template-columns:auto 1fr;gap:0 .5rem;align-items:baseline;margin:0 0 .6rem}
.check input{width:auto;margin:0}
.check label{margin:0}
.check .hint{grid-column:2;margin:0}
.check code.hint{word-break:break-all}
table.rows:has(tbody:empty){display:none}
ul.checks{list-style:none;margin:0 0 .8rem;padding:0}
.hint.refused{color:#8a1a14}
details summary{cursor:pointer;font-weight:600;margin-bottom:.6rem}
.copy{display:flex;gap:.4rem}
.copy input{flex:1}
.row{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-end;margin-top:.8rem}
.row .field{flex:1 1 12rem;margin:0}
.row .field:has(> select){flex:0 1 auto;max-width:100%}
.row select{width:auto;max-width:100%}
button{font:inherit;padding:.45rem 1rem;border:1px solid #0f6cbd;border-radius:4px;background:#0f6cbd;color:#fff;cursor:pointer;white-space:nowrap}
button.secondary{background:#fff;color:#0f6cbd}
button.danger{background:#fff;color:#b3261e;border-color:#b3261e;padding:.25rem .7rem}
button:disabled{opacity:.6;cursor:progress}
button:disabled:not([aria-busy]){cursor:not-allowed}
button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #ffb900;outline-offset:2px}
.table-wrap{overflow-x:auto;position:relative}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
thead th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:#5b6570;border-bottom:2px solid #d5d9de}
tbody th{font-weight:600;word-break:break-all}
table.compact{width:auto;min-width:60%;margin-bottom:1rem}
td.empty{color:#5b6570;font-style:italic}
td.detail{font-family:ui-monospace,monospace;font-size:.78rem;color:#3d454d;word-break:break-word;max-width:28rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;word-break:break-all}
code.id{color:#5b6570}
time,code.nowrap{white-space:nowrap;word-break:normal}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.78rem;font-weight:600}
.badge.live{background:#dff6dd;color:#0e5a0b}
.badge.revoked{background:#fde7e9;color:#8a1a14}
.badge.expired{background:#eceff2;color:#3d454d}
.hint{color:#5b6570;font-size:.85rem;margin:.3rem 0 .6rem}
.new-token{margin-top:1rem;padding:.8rem;border:2px solid #0f6cbd;border-radius:6px;background:#eef5fc}
.new-token .field{margin:0}
.result{min-height:1.2em;margin:.8rem 0 0;font-weight:600;color:#0e5a0b}
.result:empty{margin:0;min-height:0}
.result.error{color:#b3261e}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:40rem){.grid{grid-template-columns:1fr}main{padding:1rem}}
`);
