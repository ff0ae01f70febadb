// DSSE pre-authentication encoding (PAE), the bytes a DSSE signature covers:
// `DSSEv1 SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal bytes.
// See https://github.com/secure-systems-lab/dsse/blob/master/protocol.md.

const encoder = new TextEncoder()

/** The bytes a DSSE envelope's signatures are made over, for `payloadType` and the decoded `payload`. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const typeBytes = encoder.encode(payloadType)
  const prefix = encoder.encode(`DSSEv1 ${typeBytes.length} ${payloadType} ${payload.length} `)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix, 0)
  out.set(payload, prefix.length)
  return out
}
