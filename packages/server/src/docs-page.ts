import { SignRequestSchema, VerifyRequestSchema } from '@certus-trust/service/schemas'

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  )

/** A small static HTML page describing the API (no scripts; the full contract is /openapi.json). */
export function docsPage(): string {
  const example = (value: unknown) => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`
  const digest = `sha256:${'ab'.repeat(32)}`
  // Parse the examples with the real schemas so the page cannot show a request the server would refuse.
  const signExample = SignRequestSchema.parse({
    artifact: digest,
    artifact_type: 'sbom',
    subject: 'app.spdx.json',
  })
  const verifyExample = VerifyRequestSchema.parse({
    artifact: digest,
    bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
  })
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Certus Trust API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}code,pre{background:#f4f4f4;padding:.1rem .3rem}pre{padding:.6rem;overflow:auto}h2{margin-top:2rem}</style>
</head><body>
<h1>Certus Trust API</h1>
<p>Machine-readable contract: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Authenticate with
<code>Authorization: Bearer &lt;API key or JWT&gt;</code> or <code>X-API-Key</code>. Errors are
<code>{"error":{"code","message"}}</code>.</p>
<h2>POST /v1/sign <small>(signer)</small></h2>
<p>Signs a digest, records the entry in the transparency log and returns a Sigstore bundle.</p>${example(signExample)}
<h2>POST /v1/verify <small>(verifier)</small></h2>
<p>Verifies a bundle (or <code>signature</code> + <code>public_key</code>/<code>certificate</code>). An invalid signature is
<code>200</code> with <code>valid: false</code>.</p>${example(verifyExample)}
<h2>GET /v1/transparency/{entry_id}?include_proof=true <small>(verifier)</small></h2>
<p>One entry with an inclusion proof checkable offline.</p>
<h2>GET /v1/transparency?artifact=sha256:… <small>(verifier)</small></h2>
<p>Entries for an artifact, paged with <code>limit</code> and <code>cursor</code>.</p>
<h2>Operations</h2>
<p><code>GET /v1/health</code>, <code>GET /v1/ready</code>, <code>GET /metrics</code> (admin), Rekor v1 API under <code>/api/v1</code>.</p>
</body></html>`
}
