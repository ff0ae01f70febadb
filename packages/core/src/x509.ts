// `@certus-trust/core/x509`: the one strict X.509 certificate parser and path validator of the SDK (a subpath, so
// packages that never touch certificates do not load it).
export type { CertificateExtension, ParsedCertificate } from './x509/certificate.js'
export { findExtension, isIssuedBy, parseCertificate } from './x509/certificate.js'
export type { X509ErrorCode } from './x509/errors.js'
export { X509Error } from './x509/errors.js'
export type { BasicConstraints, KeyUsage } from './x509/extensions.js'
export { OID as X509_OID } from './x509/extensions.js'
export type { FulcioExtensions } from './x509/names.js'
export { fulcioExtensions, identityNames, subjectAltNames } from './x509/names.js'
export type { LeafProfile, PathValidationOptions } from './x509/path.js'
export { FULCIO_LEAF_PROFILE, TSA_LEAF_PROFILE, validateCertificatePath } from './x509/path.js'
export type { SubjectAltNameKind, SubjectAltNames } from './x509/san.js'
