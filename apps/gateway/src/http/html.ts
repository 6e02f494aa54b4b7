/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** A small self-contained HTML page (no external assets, so a strict CSP holds). */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.5rem 1.25rem;margin-right:.5rem;border-radius:.3rem;border:1px solid #888;cursor:pointer}
.approve{background:#1a7f37;color:#fff;border-color:#1a7f37}.reject{background:#cf222e;color:#fff;border-color:#cf222e}
textarea{width:100%;min-height:4rem;font:inherit}</style></head><body>${body}</body></html>`;
}
