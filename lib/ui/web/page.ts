// The page's HTML: a shell that loads the packaged script and style; the script draws the runbook from
// what the live channel sends. The style nonce lets the terminal widget (xterm.js) add the style elements
// it makes at run time, under a Content-Security-Policy that allows no other inline style.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** The page before its live channel opens: the runbook's title and all the rest come over the channel. */
export function pageHtml(styleNonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="runbook-style-nonce" content="${escapeHtml(styleNonce)}">
<title>runbook</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<noscript>This page needs JavaScript: it is the runbook's notebook, served by runbook serve.</noscript>
<div id="app" data-state="connecting"></div>
</body>
</html>
`;
}
