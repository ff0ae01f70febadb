// The named, enumerable mutation catalogue of test/differential-mutations.test.ts: each mutation edits a deep
// copy of a valid bundle in place, or returns SKIP when the bundle has nothing it could change. Names are
// `family/variant`; they are the keys of the test's allow-lists, so renaming one is a deliberate change there too.

import { createHash, generateKeyPairSync } from 'node:crypto'

// biome-ignore lint/suspicious/noExplicitAny: bundles are edited as untyped proto3 JSON on purpose
export type Json = any

export const SKIP = Symbol('not applicable')

/** What a mutation returns: SKIP when it does not apply, nothing when it edited the bundle. */
export type MaybeSkip = typeof SKIP | undefined

/** Re-logs an entry body through the seed's own (test) log: only our generated seeds can do this. */
export type Relog = (body: Buffer, kind: string, version: string) => Json

export interface MutationContext {
  /** The artifact the seed verifies (bytes). */
  artifact: Buffer
  /** Present for seeds whose log we hold the key of (our generated fixtures). */
  relog?: Relog
}

export type Mutate = (bundle: Json, context: MutationContext) => MaybeSkip

export interface Mutation {
  name: string
  mutate: Mutate
}

// ---------------------------------------------------------------------------------------------------------------
// Small editing helpers

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const fromB64 = (text: string) => Buffer.from(text, 'base64')

/** Edits the base64 bytes at `holder[key]`; SKIP when there is no such string. */
function editBytes(holder: Json, key: string, edit: (bytes: Buffer) => Buffer): MaybeSkip {
  if (!holder || typeof holder[key] !== 'string') return SKIP
  holder[key] = b64(edit(fromB64(holder[key])))
}

function flipAt(bytes: Buffer, at: number, mask = 0x01): Buffer {
  if (bytes.length === 0) return bytes
  const copy = Buffer.from(bytes)
  const index = ((at % copy.length) + copy.length) % copy.length
  copy[index] = copy[index]! ^ mask
  return copy
}

const material = (bundle: Json) => bundle.verificationMaterial
const entry = (bundle: Json) => material(bundle)?.tlogEntries?.[0]
const proof = (bundle: Json) => entry(bundle)?.inclusionProof
const tokens = (bundle: Json): Json[] | undefined =>
  material(bundle)?.timestampVerificationData?.rfc3161Timestamps

/** The object holding the signature base64 (message signature or the one DSSE signature) and its key. */
function signatureHolder(bundle: Json): [Json, string] | undefined {
  if (bundle.messageSignature) return [bundle.messageSignature, 'signature']
  const first = bundle.dsseEnvelope?.signatures?.[0]
  return first ? [first, 'sig'] : undefined
}

/** The object holding the signing certificate's rawBytes (v0.3 certificate or the chain's first). */
function leafHolder(bundle: Json): Json | undefined {
  return material(bundle)?.certificate ?? material(bundle)?.x509CertificateChain?.certificates?.[0]
}

interface DerSpan {
  /** Offset of the tag byte. */
  start: number
  /** Offset of the first value byte. */
  value: number
  /** Offset just past the value. */
  end: number
}

/** Reads the DER TLV at `offset` (definite lengths only, as in certificates). */
function derAt(bytes: Buffer, offset: number): DerSpan {
  let cursor = offset + 1
  let length = bytes[cursor++]!
  if (length & 0x80) {
    const count = length & 0x7f
    length = 0
    for (let index = 0; index < count; index++) length = length * 256 + bytes[cursor++]!
  }
  return { start: offset, value: cursor, end: cursor + length }
}

/** TBS, signatureAlgorithm and signatureValue spans of a DER certificate. */
function certificateParts(der: Buffer): { tbs: DerSpan; algorithm: DerSpan; signature: DerSpan } {
  const outer = derAt(der, 0)
  const tbs = derAt(der, outer.value)
  const algorithm = derAt(der, tbs.end)
  return { tbs, algorithm, signature: derAt(der, algorithm.end) }
}

function editLeaf(bundle: Json, edit: (der: Buffer) => Buffer): MaybeSkip {
  return editBytes(leafHolder(bundle), 'rawBytes', edit)
}

/** Replaces the checkpoint envelope text through `edit`; SKIP without a checkpoint. */
function editCheckpoint(bundle: Json, edit: (envelope: string) => string): MaybeSkip {
  const checkpoint = proof(bundle)?.checkpoint
  if (typeof checkpoint?.envelope !== 'string') return SKIP
  const edited = edit(checkpoint.envelope)
  if (edited === checkpoint.envelope) return SKIP
  checkpoint.envelope = edited
}

/** The note lines (origin, size, root, extensions…) and the signature lines of a checkpoint envelope. */
function splitNote(envelope: string): { note: string[]; signatures: string[] } {
  const at = envelope.indexOf('\n\n')
  return {
    note: envelope.slice(0, at).split('\n'),
    signatures: envelope
      .slice(at + 2)
      .split('\n')
      .filter((line) => line.length > 0),
  }
}
const joinNote = (note: string[], signatures: string[]) => `${note.join('\n')}\n\n${signatures.join('\n')}\n`

/** Edits the base64 part of the first checkpoint signature line (4-byte key hint, then the signature). */
function editCheckpointSignature(bundle: Json, edit: (bytes: Buffer) => Buffer) {
  return editCheckpoint(bundle, (envelope) => {
    const { note, signatures } = splitNote(envelope)
    const [dash, name, signature] = signatures[0]!.split(' ')
    signatures[0] = `${dash} ${name} ${b64(edit(fromB64(signature!)))}`
    return joinNote(note, signatures)
  })
}

function editIntegerString(holder: Json, key: string, edit: (value: bigint) => bigint | string) {
  if (!holder) return SKIP
  const current = BigInt(holder[key] ?? 0)
  const next = edit(current)
  holder[key] = typeof next === 'string' ? next : next.toString()
}

function decodedBody(bundle: Json): Json | undefined {
  const body = entry(bundle)?.canonicalizedBody
  if (typeof body !== 'string') return undefined
  try {
    return JSON.parse(fromB64(body).toString('utf8'))
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Families

const POSITIONS = [0, 0.5, -1] as const

function positionName(position: number): string {
  return position === -1 ? 'last' : position === 0 ? 'first' : `at-${Math.round(position * 100)}pct`
}
const positionOf = (length: number, position: number) =>
  position === -1 ? length - 1 : Math.floor(length * position)

function signatureMutations(): Mutation[] {
  const onSignature =
    (edit: (bytes: Buffer) => Buffer): Mutate =>
    (bundle) => {
      const holder = signatureHolder(bundle)
      return holder ? editBytes(holder[0], holder[1], edit) : SKIP
    }
  return [
    ...POSITIONS.map((position) => ({
      name: `signature/flip-${positionName(position)}`,
      mutate: onSignature((bytes) => flipAt(bytes, positionOf(bytes.length, position))),
    })),
    { name: 'signature/truncate-1', mutate: onSignature((bytes) => bytes.subarray(0, bytes.length - 1)) },
    { name: 'signature/truncate-half', mutate: onSignature((bytes) => bytes.subarray(0, bytes.length >> 1)) },
    { name: 'signature/empty', mutate: onSignature(() => Buffer.alloc(0)) },
    { name: 'signature/append-byte', mutate: onSignature((bytes) => Buffer.concat([bytes, Buffer.of(0)])) },
    { name: 'signature/zeroes', mutate: onSignature((bytes) => Buffer.alloc(bytes.length)) },
    {
      name: 'signature/not-base64',
      mutate: (bundle) => {
        const holder = signatureHolder(bundle)
        if (!holder) return SKIP
        holder[0][holder[1]] = `${holder[0][holder[1]]}*`
      },
    },
    {
      name: 'signature/missing',
      mutate: (bundle) => {
        const holder = signatureHolder(bundle)
        if (!holder) return SKIP
        delete holder[0][holder[1]]
      },
    },
  ]
}

function certificateMutations(): Mutation[] {
  const tbsFlips = Array.from({ length: 7 }, (_, index) => ({
    name: `certificate/tbs-flip-${String(index).padStart(2, '0')}`,
    mutate: ((bundle) =>
      editLeaf(bundle, (der) => {
        const { tbs } = certificateParts(der)
        // Spread over the TBS value, past the header; index 6 is the TBS's last byte (inside the extensions).
        const at = tbs.value + Math.floor(((tbs.end - tbs.value - 1) * index) / 6)
        return flipAt(der, at)
      })) as Mutate,
  }))
  const chain = (bundle: Json): Json[] | undefined => material(bundle)?.x509CertificateChain?.certificates
  return [
    ...tbsFlips,
    {
      name: 'certificate/signature-flip-first',
      mutate: (bundle) => editLeaf(bundle, (der) => flipAt(der, certificateParts(der).signature.value + 4)),
    },
    {
      name: 'certificate/signature-flip-last',
      mutate: (bundle) => editLeaf(bundle, (der) => flipAt(der, der.length - 1)),
    },
    {
      name: 'certificate/signature-algorithm-flip',
      mutate: (bundle) => editLeaf(bundle, (der) => flipAt(der, certificateParts(der).algorithm.end - 1)),
    },
    {
      name: 'certificate/truncate',
      mutate: (bundle) => editLeaf(bundle, (der) => der.subarray(0, der.length - 10)),
    },
    { name: 'certificate/empty', mutate: (bundle) => editLeaf(bundle, () => Buffer.alloc(0)) },
    {
      name: 'certificate/trailing-byte',
      mutate: (bundle) => editLeaf(bundle, (der) => Buffer.concat([der, Buffer.of(0)])),
    },
    {
      name: 'certificate/missing',
      mutate: (bundle) => {
        const vm = material(bundle)
        if (!vm.certificate && !vm.x509CertificateChain) return SKIP
        delete vm.certificate
        delete vm.x509CertificateChain
      },
    },
    {
      name: 'certificate/chain-reversed',
      mutate: (bundle) => {
        const list = chain(bundle)
        if (!list || list.length < 2) return SKIP
        list.reverse()
      },
    },
    {
      name: 'certificate/chain-leaf-last',
      mutate: (bundle) => {
        const list = chain(bundle)
        if (!list || list.length < 2) return SKIP
        list.push(list.shift())
      },
    },
    {
      name: 'certificate/chain-drop-leaf',
      mutate: (bundle) => {
        const list = chain(bundle)
        if (!list || list.length < 2) return SKIP
        list.shift()
      },
    },
    {
      name: 'certificate/chain-leaf-only',
      mutate: (bundle) => {
        const list = chain(bundle)
        if (!list || list.length < 2) return SKIP
        list.length = 1
      },
    },
    {
      name: 'certificate/chain-empty',
      mutate: (bundle) => {
        const list = chain(bundle)
        if (!list) return SKIP
        list.length = 0
      },
    },
    {
      name: 'certificate/chain-leaf-twice',
      mutate: (bundle) => {
        const list = chain(bundle)
        if (!list) return SKIP
        list.unshift(structuredClone(list[0]))
      },
    },
  ]
}

function tlogEntryMutations(): Mutation[] {
  const onEntry =
    (key: string, edit: (value: bigint) => bigint | string): Mutate =>
    (bundle) =>
      editIntegerString(entry(bundle), key, edit)
  const drop =
    (key: string): Mutate =>
    (bundle) => {
      const target = entry(bundle)
      if (!target || target[key] === undefined) return SKIP
      delete target[key]
    }
  return [
    { name: 'tlog/logIndex-plus-1', mutate: onEntry('logIndex', (value) => value + 1n) },
    { name: 'tlog/logIndex-minus-1', mutate: onEntry('logIndex', (value) => (value > 0n ? value - 1n : 1n)) },
    { name: 'tlog/logIndex-zero', mutate: onEntry('logIndex', () => 0n) },
    { name: 'tlog/logIndex-negative', mutate: onEntry('logIndex', () => -1n) },
    { name: 'tlog/logIndex-not-a-number', mutate: onEntry('logIndex', () => 'seven') },
    { name: 'tlog/logIndex-missing', mutate: drop('logIndex') },
    { name: 'tlog/integratedTime-plus-1', mutate: onEntry('integratedTime', (value) => value + 1n) },
    { name: 'tlog/integratedTime-minus-1', mutate: onEntry('integratedTime', (value) => value - 1n) },
    { name: 'tlog/integratedTime-zero', mutate: onEntry('integratedTime', () => 0n) },
    { name: 'tlog/integratedTime-future', mutate: onEntry('integratedTime', (value) => value + 10n ** 9n) },
    { name: 'tlog/integratedTime-negative', mutate: onEntry('integratedTime', () => -1n) },
    { name: 'tlog/integratedTime-missing', mutate: drop('integratedTime') },
    {
      name: 'tlog/logId-flip',
      mutate: (bundle) => editBytes(entry(bundle)?.logId, 'keyId', (bytes) => flipAt(bytes, 0)),
    },
    {
      name: 'tlog/logId-empty',
      mutate: (bundle) => editBytes(entry(bundle)?.logId, 'keyId', () => Buffer.alloc(0)),
    },
    { name: 'tlog/logId-missing', mutate: drop('logId') },
    {
      name: 'tlog/kind-changed',
      mutate: (bundle) => {
        const kindVersion = entry(bundle)?.kindVersion
        if (!kindVersion) return SKIP
        kindVersion.kind = kindVersion.kind === 'dsse' ? 'intoto' : 'dsse'
      },
    },
    {
      name: 'tlog/version-changed',
      mutate: (bundle) => {
        const kindVersion = entry(bundle)?.kindVersion
        if (!kindVersion) return SKIP
        kindVersion.version = kindVersion.version === '0.0.1' ? '0.0.2' : '0.0.1'
      },
    },
    { name: 'tlog/kindVersion-missing', mutate: drop('kindVersion') },
    {
      name: 'tlog/entries-empty',
      mutate: (bundle) => {
        if (!material(bundle).tlogEntries) return SKIP
        material(bundle).tlogEntries = []
      },
    },
    {
      name: 'tlog/entries-missing',
      mutate: (bundle) => {
        delete material(bundle).tlogEntries
      },
    },
    {
      name: 'tlog/entry-duplicated',
      mutate: (bundle) => {
        const first = entry(bundle)
        if (!first) return SKIP
        material(bundle).tlogEntries.push(structuredClone(first))
      },
    },
    {
      name: 'tlog/entry-duplicated-other-index',
      mutate: (bundle) => {
        const first = entry(bundle)
        if (!first) return SKIP
        const copy = structuredClone(first)
        copy.logIndex = String(BigInt(copy.logIndex ?? 0) + 1n)
        material(bundle).tlogEntries.push(copy)
      },
    },
  ]
}

function inclusionProofMutations(): Mutation[] {
  const onProof =
    (key: string, edit: (value: bigint) => bigint | string): Mutate =>
    (bundle) =>
      editIntegerString(proof(bundle), key, edit)
  const onHashes =
    (edit: (hashes: Json[]) => MaybeSkip): Mutate =>
    (bundle) => {
      const hashes = proof(bundle)?.hashes
      if (!Array.isArray(hashes)) return SKIP
      return edit(hashes)
    }
  const flipHash = (index: number): Mutate =>
    onHashes((hashes) => {
      const at = index < 0 ? hashes.length + index : index
      if (at < 0 || at >= hashes.length) return SKIP
      hashes[at] = b64(flipAt(fromB64(hashes[at]), 7))
    })
  return [
    ...[0, 1, -1].map((index) => ({ name: `proof/hash-flip-${index}`, mutate: flipHash(index) })),
    { name: 'proof/hash-drop-last', mutate: onHashes((hashes) => void hashes.pop()) },
    { name: 'proof/hash-append', mutate: onHashes((hashes) => void hashes.push(b64(Buffer.alloc(32, 1)))) },
    {
      name: 'proof/hash-swap-first-two',
      mutate: onHashes((hashes) => {
        if (hashes.length < 2) return SKIP
        ;[hashes[0], hashes[1]] = [hashes[1], hashes[0]]
      }),
    },
    {
      name: 'proof/hashes-empty',
      mutate: onHashes((hashes) => {
        if (hashes.length === 0) return SKIP
        hashes.length = 0
      }),
    },
    { name: 'proof/logIndex-plus-1', mutate: onProof('logIndex', (value) => value + 1n) },
    {
      name: 'proof/logIndex-minus-1',
      mutate: onProof('logIndex', (value) => (value > 0n ? value - 1n : 1n)),
    },
    { name: 'proof/logIndex-beyond-tree', mutate: onProof('logIndex', () => 2n ** 62n) },
    { name: 'proof/treeSize-plus-1', mutate: onProof('treeSize', (value) => value + 1n) },
    { name: 'proof/treeSize-minus-1', mutate: onProof('treeSize', (value) => value - 1n) },
    { name: 'proof/treeSize-zero', mutate: onProof('treeSize', () => 0n) },
    {
      name: 'proof/treeSize-missing',
      mutate: (bundle) => (proof(bundle) ? void delete proof(bundle).treeSize : SKIP),
    },
    {
      name: 'proof/rootHash-flip-first',
      mutate: (bundle) => editBytes(proof(bundle), 'rootHash', (bytes) => flipAt(bytes, 0)),
    },
    {
      name: 'proof/rootHash-flip-last',
      mutate: (bundle) => editBytes(proof(bundle), 'rootHash', (bytes) => flipAt(bytes, -1, 0x80)),
    },
    {
      name: 'proof/rootHash-empty',
      mutate: (bundle) => editBytes(proof(bundle), 'rootHash', () => Buffer.alloc(0)),
    },
    {
      name: 'proof/rootHash-zero',
      mutate: (bundle) => editBytes(proof(bundle), 'rootHash', () => Buffer.alloc(32)),
    },
    {
      name: 'proof/missing',
      mutate: (bundle) => (proof(bundle) ? void delete entry(bundle).inclusionProof : SKIP),
    },
    {
      name: 'proof/checkpoint-missing',
      mutate: (bundle) => (proof(bundle)?.checkpoint ? void delete proof(bundle).checkpoint : SKIP),
    },
  ]
}

function checkpointMutations(): Mutation[] {
  const onNote =
    (edit: (note: string[], signatures: string[]) => void): Mutate =>
    (bundle) =>
      editCheckpoint(bundle, (envelope) => {
        const { note, signatures } = splitNote(envelope)
        edit(note, signatures)
        return joinNote(note, signatures)
      })
  return [
    {
      name: 'checkpoint/origin-changed',
      mutate: onNote((note) => {
        note[0] = `${note[0]}x`
      }),
    },
    {
      name: 'checkpoint/size-changed',
      mutate: onNote((note) => {
        note[1] = String(BigInt(note[1]!) + 1n)
      }),
    },
    {
      name: 'checkpoint/size-not-a-number',
      mutate: onNote((note) => {
        note[1] = 'many'
      }),
    },
    {
      name: 'checkpoint/root-changed',
      mutate: onNote((note) => {
        note[2] = b64(flipAt(fromB64(note[2]!), 0))
      }),
    },
    { name: 'checkpoint/extension-line-added', mutate: onNote((note) => void note.push('extra data')) },
    { name: 'checkpoint/note-line-dropped', mutate: onNote((note) => void note.pop()) },
    {
      name: 'checkpoint/signature-flip',
      mutate: (bundle) => editCheckpointSignature(bundle, (bytes) => flipAt(bytes, -1)),
    },
    {
      name: 'checkpoint/key-hint-flip',
      mutate: (bundle) => editCheckpointSignature(bundle, (bytes) => flipAt(bytes, 0)),
    },
    {
      name: 'checkpoint/signature-only-hint',
      mutate: (bundle) => editCheckpointSignature(bundle, (bytes) => bytes.subarray(0, 4)),
    },
    {
      name: 'checkpoint/signer-name-changed',
      mutate: onNote((_note, signatures) => {
        const [dash, name, signature] = signatures[0]!.split(' ')
        signatures[0] = `${dash} evil.${name} ${signature}`
      }),
    },
    {
      name: 'checkpoint/signer-name-prefix',
      mutate: onNote((_note, signatures) => {
        const [dash, name, signature] = signatures[0]!.split(' ')
        signatures[0] = `${dash} ${name!.slice(0, 3)} ${signature}`
      }),
    },
    {
      name: 'checkpoint/signature-lines-dropped',
      mutate: onNote((_note, signatures) => {
        signatures.length = 0
      }),
    },
    {
      name: 'checkpoint/signature-line-duplicated',
      mutate: onNote((_note, signatures) => void signatures.push(signatures[0]!)),
    },
    {
      name: 'checkpoint/unknown-signature-added',
      mutate: onNote(
        (_note, signatures) =>
          void signatures.push(
            `\u2014 witness.example.test ${b64(Buffer.concat([Buffer.of(1, 2, 3, 4), Buffer.alloc(64, 9)]))}`,
          ),
      ),
    },
    {
      name: 'checkpoint/unknown-signature-first',
      mutate: onNote(
        (_note, signatures) =>
          void signatures.unshift(
            `\u2014 witness.example.test ${b64(Buffer.concat([Buffer.of(1, 2, 3, 4), Buffer.alloc(64, 9)]))}`,
          ),
      ),
    },
    {
      name: 'checkpoint/hyphen-instead-of-em-dash',
      mutate: onNote((_note, signatures) => {
        signatures[0] = signatures[0]!.replace('\u2014', '-')
      }),
    },
    {
      name: 'checkpoint/no-trailing-newline',
      mutate: (bundle) => editCheckpoint(bundle, (text) => text.replace(/\n$/, '')),
    },
    {
      name: 'checkpoint/crlf',
      mutate: (bundle) => editCheckpoint(bundle, (text) => text.replace(/\n/g, '\r\n')),
    },
    {
      name: 'checkpoint/no-blank-line',
      mutate: (bundle) => editCheckpoint(bundle, (text) => text.replace('\n\n', '\n')),
    },
    {
      name: 'checkpoint/extra-blank-line',
      mutate: (bundle) => editCheckpoint(bundle, (text) => text.replace('\n\n', '\n\n\n')),
    },
    { name: 'checkpoint/empty', mutate: (bundle) => editCheckpoint(bundle, () => '') },
  ]
}

function bodyMutations(): Mutation[] {
  const onBody =
    (edit: (bytes: Buffer) => Buffer): Mutate =>
    (bundle) =>
      editBytes(entry(bundle), 'canonicalizedBody', edit)
  /** Re-encodes the decoded body after `edit` (bytes change, so SET and Merkle leaf no longer match). */
  const reencode =
    (edit: (body: Json) => MaybeSkip): Mutate =>
    (bundle) => {
      const body = decodedBody(bundle)
      if (!body || edit(body) === SKIP) return SKIP
      entry(bundle).canonicalizedBody = b64(Buffer.from(JSON.stringify(body)))
    }
  return [
    ...POSITIONS.map((position) => ({
      name: `body/flip-${positionName(position)}`,
      mutate: onBody((bytes) => flipAt(bytes, positionOf(bytes.length, position), 0x02)),
    })),
    { name: 'body/truncate', mutate: onBody((bytes) => bytes.subarray(0, bytes.length - 1)) },
    { name: 'body/empty', mutate: onBody(() => Buffer.alloc(0)) },
    {
      name: 'body/missing',
      mutate: (bundle) => (entry(bundle) ? void delete entry(bundle).canonicalizedBody : SKIP),
    },
    {
      name: 'body/reencoded-pretty',
      mutate: (bundle) => {
        const body = decodedBody(bundle)
        if (!body) return SKIP
        entry(bundle).canonicalizedBody = b64(Buffer.from(JSON.stringify(body, null, 2)))
      },
    },
    { name: 'body/reencoded-other-digest', mutate: reencode((body) => replaceDigest(body)) },
    { name: 'body/reencoded-other-signature', mutate: reencode((body) => replaceSignature(body)) },
    {
      name: 'body/reencoded-other-kind',
      mutate: reencode((body) => {
        body.kind = `${body.kind}x`
      }),
    },
  ]
}

/** Replaces the first digest value in a decoded entry body (any kind/version); SKIP if none. */
function replaceDigest(body: Json): MaybeSkip {
  const spec = body.spec ?? {}
  const v2 = spec.hashedRekordV002?.data ?? spec.dsseV002?.payloadHash
  if (v2?.digest) {
    v2.digest = b64(flipAt(fromB64(v2.digest), 0))
    return
  }
  const v1 = spec.data?.hash ?? spec.payloadHash ?? spec.content?.payloadHash
  if (v1?.value) {
    v1.value = `${v1.value.startsWith('0') ? '1' : '0'}${v1.value.slice(1)}`
    return
  }
  return SKIP
}

/** Replaces the first signature in a decoded entry body (any kind/version); SKIP if none. */
function replaceSignature(body: Json): MaybeSkip {
  const spec = body.spec ?? {}
  const holder =
    spec.hashedRekordV002?.signature ??
    spec.signature ??
    spec.dsseV002?.signatures?.[0] ??
    spec.signatures?.[0]
  const key = holder && ('content' in holder ? 'content' : 'signature' in holder ? 'signature' : undefined)
  if (!key) return SKIP
  holder[key] = b64(flipAt(fromB64(holder[key]), -1))
}

function setMutations(): Mutation[] {
  const promise = (bundle: Json) => entry(bundle)?.inclusionPromise
  return [
    {
      name: 'set/flip-first',
      mutate: (bundle) => editBytes(promise(bundle), 'signedEntryTimestamp', (bytes) => flipAt(bytes, 0)),
    },
    {
      name: 'set/flip-last',
      mutate: (bundle) => editBytes(promise(bundle), 'signedEntryTimestamp', (bytes) => flipAt(bytes, -1)),
    },
    {
      name: 'set/truncate',
      mutate: (bundle) =>
        editBytes(promise(bundle), 'signedEntryTimestamp', (bytes) => bytes.subarray(0, bytes.length - 1)),
    },
    {
      name: 'set/empty',
      mutate: (bundle) => editBytes(promise(bundle), 'signedEntryTimestamp', () => Buffer.alloc(0)),
    },
    {
      name: 'set/missing',
      mutate: (bundle) => (promise(bundle) ? void delete entry(bundle).inclusionPromise : SKIP),
    },
    {
      name: 'set/with-proof-missing',
      mutate: (bundle) => {
        if (!promise(bundle) || !proof(bundle)) return SKIP
        delete entry(bundle).inclusionPromise
        delete entry(bundle).inclusionProof
      },
    },
  ]
}

function timestampMutations(): Mutation[] {
  const onToken =
    (edit: (bytes: Buffer) => Buffer): Mutate =>
    (bundle) =>
      editBytes(tokens(bundle)?.[0], 'signedTimestamp', edit)
  const onList =
    (edit: (list: Json[]) => void): Mutate =>
    (bundle) => {
      const list = tokens(bundle)
      if (!list?.length) return SKIP
      edit(list)
    }
  return [
    ...POSITIONS.map((position) => ({
      name: `rfc3161/flip-${positionName(position)}`,
      mutate: onToken((bytes) => flipAt(bytes, positionOf(bytes.length, position))),
    })),
    { name: 'rfc3161/truncate', mutate: onToken((bytes) => bytes.subarray(0, bytes.length - 1)) },
    { name: 'rfc3161/empty', mutate: onToken(() => Buffer.alloc(0)) },
    { name: 'rfc3161/garbage', mutate: onToken(() => Buffer.from('not a timestamp')) },
    {
      name: 'rfc3161/drop',
      mutate: onList((list) => {
        list.length = 0
      }),
    },
    {
      name: 'rfc3161/drop-verification-data',
      mutate: (bundle) =>
        material(bundle).timestampVerificationData
          ? void delete material(bundle).timestampVerificationData
          : SKIP,
    },
    { name: 'rfc3161/duplicated', mutate: onList((list) => void list.push(structuredClone(list[0]))) },
    {
      name: 'rfc3161/garbage-added',
      mutate: (bundle) => {
        const vm = material(bundle)
        vm.timestampVerificationData ??= {}
        vm.timestampVerificationData.rfc3161Timestamps ??= []
        vm.timestampVerificationData.rfc3161Timestamps.push({ signedTimestamp: b64(Buffer.from('garbage')) })
      },
    },
  ]
}

function messageDigestMutations(): Mutation[] {
  const digest = (bundle: Json) => bundle.messageSignature?.messageDigest
  const onDigest =
    (edit: (value: Json) => void): Mutate =>
    (bundle) => {
      const value = digest(bundle)
      if (!value) return SKIP
      edit(value)
    }
  return [
    ...['SHA2_384', 'HASH_ALGORITHM_UNSPECIFIED', 'MD5'].map((algorithm) => ({
      name: `digest/algorithm-${algorithm}`,
      mutate: onDigest((value) => {
        value.algorithm = algorithm
      }),
    })),
    { name: 'digest/algorithm-missing', mutate: onDigest((value) => void delete value.algorithm) },
    {
      name: 'digest/flip-first',
      mutate: onDigest((value) => {
        value.digest = b64(flipAt(fromB64(value.digest), 0))
      }),
    },
    {
      name: 'digest/truncate',
      mutate: onDigest((value) => {
        value.digest = b64(fromB64(value.digest).subarray(1))
      }),
    },
    {
      name: 'digest/empty',
      mutate: onDigest((value) => {
        value.digest = ''
      }),
    },
    { name: 'digest/bytes-missing', mutate: onDigest((value) => void delete value.digest) },
    {
      name: 'digest/missing',
      mutate: (bundle) => (digest(bundle) ? void delete bundle.messageSignature.messageDigest : SKIP),
    },
    {
      name: 'digest/sha512-of-artifact',
      mutate: (bundle, context) => {
        const value = digest(bundle)
        if (!value) return SKIP
        value.algorithm = 'SHA2_512'
        value.digest = b64(createHash('sha512').update(context.artifact).digest())
      },
    },
  ]
}

function dsseMutations(): Mutation[] {
  const envelope = (bundle: Json) => bundle.dsseEnvelope
  const onEnvelope =
    (edit: (value: Json) => MaybeSkip): Mutate =>
    (bundle) =>
      envelope(bundle) ? edit(envelope(bundle)) : SKIP
  return [
    ...POSITIONS.map((position) => ({
      name: `dsse/payload-flip-${positionName(position)}`,
      mutate: onEnvelope((value) =>
        editBytes(value, 'payload', (bytes) => flipAt(bytes, positionOf(bytes.length, position), 0x04)),
      ),
    })),
    {
      name: 'dsse/payload-trailing-space',
      mutate: onEnvelope((value) =>
        editBytes(value, 'payload', (bytes) => Buffer.concat([bytes, Buffer.from(' ')])),
      ),
    },
    {
      name: 'dsse/payload-empty',
      mutate: onEnvelope((value) => {
        value.payload = ''
      }),
    },
    { name: 'dsse/payload-missing', mutate: onEnvelope((value) => void delete value.payload) },
    {
      name: 'dsse/payloadType-changed',
      mutate: onEnvelope((value) => {
        value.payloadType = 'application/json'
      }),
    },
    {
      name: 'dsse/payloadType-empty',
      mutate: onEnvelope((value) => {
        value.payloadType = ''
      }),
    },
    { name: 'dsse/payloadType-missing', mutate: onEnvelope((value) => void delete value.payloadType) },
    {
      name: 'dsse/signatures-empty',
      mutate: onEnvelope((value) => {
        value.signatures = []
      }),
    },
    {
      name: 'dsse/signatures-duplicated',
      mutate: onEnvelope((value) => void value.signatures.push(structuredClone(value.signatures[0]))),
    },
    {
      name: 'dsse/keyid-changed',
      mutate: onEnvelope((value) => {
        value.signatures[0].keyid = 'other-key'
      }),
    },
  ]
}

const MEDIA = {
  'v0.1': 'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'v0.2': 'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'v0.3': 'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'v0.3-new': 'application/vnd.dev.sigstore.bundle.v0.3+json',
  'v0.4': 'application/vnd.dev.sigstore.bundle.v0.4+json',
  'v0.9-legacy': 'application/vnd.dev.sigstore.bundle+json;version=0.9',
  unknown: 'application/json',
  'with-suffix': 'application/vnd.dev.sigstore.bundle.v0.3+json; charset=utf-8',
  empty: '',
} as const

function mediaTypeMutations(): Mutation[] {
  return [
    ...Object.entries(MEDIA).map(([label, mediaType]) => ({
      name: `mediaType/${label}`,
      mutate: ((bundle) => {
        if (bundle.mediaType === mediaType) return SKIP
        bundle.mediaType = mediaType
      }) as Mutate,
    })),
    { name: 'mediaType/missing', mutate: (bundle) => void delete bundle.mediaType },
  ]
}

function materialMutations(): Mutation[] {
  return [
    {
      name: 'material/certificate-as-chain',
      mutate: (bundle) => {
        const vm = material(bundle)
        if (!vm.certificate) return SKIP
        vm.x509CertificateChain = { certificates: [vm.certificate] }
        delete vm.certificate
      },
    },
    {
      name: 'material/chain-as-certificate',
      mutate: (bundle) => {
        const vm = material(bundle)
        if (!vm.x509CertificateChain) return SKIP
        vm.certificate = vm.x509CertificateChain.certificates[0]
        delete vm.x509CertificateChain
      },
    },
    {
      name: 'material/certificate-to-public-key',
      mutate: (bundle) => {
        const vm = material(bundle)
        if (!vm.certificate && !vm.x509CertificateChain) return SKIP
        delete vm.certificate
        delete vm.x509CertificateChain
        vm.publicKey = { hint: 'some-key' }
      },
    },
    {
      name: 'material/public-key-and-certificate',
      mutate: (bundle) => {
        const vm = material(bundle)
        if (vm.publicKey) return SKIP
        vm.publicKey = { hint: 'some-key' }
      },
    },
    {
      name: 'material/public-key-hint-changed',
      mutate: (bundle) => {
        const vm = material(bundle)
        if (!vm.publicKey) return SKIP
        vm.publicKey.hint = 'another-hint'
      },
    },
    {
      name: 'material/public-key-to-certificate',
      mutate: (bundle) => {
        const vm = material(bundle)
        if (!vm.publicKey) return SKIP
        delete vm.publicKey
        vm.certificate = { rawBytes: b64(Buffer.from('30030201ff', 'hex')) }
      },
    },
    {
      name: 'material/none',
      mutate: (bundle) => {
        const vm = material(bundle)
        delete vm.certificate
        delete vm.x509CertificateChain
        delete vm.publicKey
      },
    },
    { name: 'material/missing', mutate: (bundle) => void delete bundle.verificationMaterial },
    {
      name: 'content/both',
      mutate: (bundle) => {
        if (bundle.messageSignature)
          bundle.dsseEnvelope = { payload: 'e30=', payloadType: 'x', signatures: [{ sig: 'AA==' }] }
        else
          bundle.messageSignature = {
            messageDigest: { algorithm: 'SHA2_256', digest: 'AA==' },
            signature: 'AA==',
          }
      },
    },
    {
      name: 'content/none',
      mutate: (bundle) => {
        delete bundle.messageSignature
        delete bundle.dsseEnvelope
      },
    },
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// Re-logged bodies: valid SET, proof and checkpoint from the seed's own test log, so only the binding differs.

function relogged(
  name: string,
  edit: (body: Json, context: MutationContext, bundle: Json) => MaybeSkip,
): Mutation {
  return {
    name: `relogged/${name}`,
    mutate: (bundle, context) => {
      const original = entry(bundle)
      const body = decodedBody(bundle)
      if (!context.relog || !original || !body || edit(body, context, bundle) === SKIP) return SKIP
      const { kind, version } = original.kindVersion
      const fresh = context.relog(
        Buffer.from(JSON.stringify(body)),
        body.kind ?? kind,
        body.apiVersion ?? version,
      )
      // Keep the seed's shape: a Rekor v2 seed has neither SET nor integrated time.
      if (!original.inclusionPromise) delete fresh.inclusionPromise
      if (original.integratedTime === undefined) delete fresh.integratedTime
      material(bundle).tlogEntries[0] = fresh
    },
  }
}

/** The verifier/public-key field of a decoded body (v1: base64 PEM; v2: { x509Certificate | publicKey }). */
function replaceBodyKey(body: Json, replacement: { pem: string; der: Buffer }): MaybeSkip {
  const spec = body.spec ?? {}
  if (spec.hashedRekordV002) {
    spec.hashedRekordV002.signature.verifier = {
      publicKey: { rawBytes: b64(replacement.der) },
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    }
  } else if (spec.dsseV002) {
    spec.dsseV002.signatures[0].verifier = {
      publicKey: { rawBytes: b64(replacement.der) },
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    }
  } else if (spec.signature?.publicKey) {
    spec.signature.publicKey.content = b64(Buffer.from(replacement.pem))
  } else if (spec.signatures?.[0]?.verifier) {
    spec.signatures[0].verifier = b64(Buffer.from(replacement.pem))
  } else return SKIP
}

function otherKey(): { pem: string; der: Buffer } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    pem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    der: publicKey.export({ type: 'spki', format: 'der' }) as Buffer,
  }
}

function reloggedMutations(): Mutation[] {
  let key: { pem: string; der: Buffer } | undefined
  const other = () => {
    key ??= otherKey()
    return key
  }
  return [
    relogged('same-body', () => {}),
    relogged('other-digest', (body) => replaceDigest(body)),
    relogged('other-signature', (body) => replaceSignature(body)),
    relogged('other-key', (body) => replaceBodyKey(body, other())),
    relogged('no-key', (body) => {
      const spec = body.spec ?? {}
      if (spec.hashedRekordV002) delete spec.hashedRekordV002.signature.verifier
      else if (spec.signature?.publicKey) delete spec.signature.publicKey
      else if (spec.dsseV002) delete spec.dsseV002.signatures[0].verifier
      else if (spec.signatures?.[0]) delete spec.signatures[0].verifier
      else return SKIP
    }),
    relogged('kind-mismatch', (body) => {
      body.kind = body.kind === 'dsse' ? 'hashedrekord' : 'dsse'
    }),
    relogged('extra-field', (body) => {
      body.spec.extra = 'x'
    }),
  ]
}

/** Every named mutation, in a stable order. */
export function allMutations(): Mutation[] {
  const list = [
    ...signatureMutations(),
    ...certificateMutations(),
    ...tlogEntryMutations(),
    ...inclusionProofMutations(),
    ...checkpointMutations(),
    ...bodyMutations(),
    ...setMutations(),
    ...timestampMutations(),
    ...messageDigestMutations(),
    ...dsseMutations(),
    ...mediaTypeMutations(),
    ...materialMutations(),
    ...reloggedMutations(),
  ]
  const names = new Set(list.map((mutation) => mutation.name))
  if (names.size !== list.length) throw new Error('mutation names must be unique')
  return list
}

// ---------------------------------------------------------------------------------------------------------------
// Seeded random byte flips

/** mulberry32: a tiny deterministic PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Every base64 byte field of a bundle, as [holder, key, label]. */
function byteFields(bundle: Json): Array<[Json, string, string]> {
  const fields: Array<[Json, string, string]> = []
  const add = (holder: Json, key: string, label: string) => {
    if (holder && typeof holder[key] === 'string' && holder[key].length > 0) fields.push([holder, key, label])
  }
  const signature = signatureHolder(bundle)
  if (signature) add(signature[0], signature[1], 'signature')
  add(leafHolder(bundle), 'rawBytes', 'certificate')
  add(bundle.messageSignature?.messageDigest, 'digest', 'digest')
  add(bundle.dsseEnvelope, 'payload', 'payload')
  const first = entry(bundle)
  add(first?.logId, 'keyId', 'logId')
  add(first, 'canonicalizedBody', 'body')
  add(first?.inclusionPromise, 'signedEntryTimestamp', 'set')
  add(first?.inclusionProof, 'rootHash', 'rootHash')
  for (const [index] of (first?.inclusionProof?.hashes ?? []).entries())
    add(first.inclusionProof.hashes, String(index), `proofHash${index}`)
  for (const [index, token] of (tokens(bundle) ?? []).entries())
    add(token, 'signedTimestamp', `rfc3161-${index}`)
  return fields
}

/**
 * `count` random single-bit flips in the seed's byte fields, named `random/NN-field`; deterministic per seed name
 * (a FNV-1a hash of it seeds the PRNG), so the names and edits do not depend on which other seeds exist.
 */
export function randomFlips(seedName: string, seedBundle: Json, count: number): Mutation[] {
  let hash = 2166136261
  for (const char of seedName) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619)
  const random = prng(hash)
  const labels = byteFields(seedBundle).map(([, , label]) => label)
  if (labels.length === 0) return []
  return Array.from({ length: count }, (_, index) => {
    const label = labels[Math.floor(random() * labels.length)]!
    const byte = random()
    const bit = Math.floor(random() * 8)
    return {
      name: `random/${String(index).padStart(2, '0')}-${label}`,
      mutate: ((bundle) => {
        const field = byteFields(bundle).find(([, , candidate]) => candidate === label)
        if (!field) return SKIP
        return editBytes(field[0], field[1], (bytes) =>
          flipAt(bytes, Math.floor(byte * bytes.length), 1 << bit),
        )
      }) as Mutate,
    }
  })
}
