// The one Content-Security-Policy for the renderer: sent as a header by serve mode and by Electron's session, and
// repeated in src-renderer/index.html's <meta> (a test keeps the two equal). Scripts only from our own bundle, no
// eval; inline styles are allowed because Vue and ECharts set style attributes; connections only to our origin.
// frame-ancestors is ignored (with a console error) in a <meta>, so only the header form carries it.
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'"
].join('; ')

export const CSP_HEADER = `${CSP}; frame-ancestors 'none'`
