// Package providermeta binds a consent request to the provider that made it,
// the way OAuth binds a client to its metadata (the Client ID Metadata
// Document draft; RFC 9101 signed request objects):
//
//   - A provider publishes a metadata Document at its own origin,
//     WellKnownPath: its name, a short description, its privacy policy and
//     the Ed25519 public keys (JWK, RFC 8037) it signs requests with.
//   - It sends the owner's browser to My Home with one parameter, request:
//     a JWS (RFC 7515, compact serialization, alg EdDSA) whose payload is
//     the Request, every parameter of the consent request plus the time it
//     was issued.
//   - My Home takes the origin of the request's return URL, fetches the
//     document from that origin (Fetcher: https only, short timeout, size
//     cap, no redirect to another origin, no private addresses, cached for
//     a TTL), checks the signature with a key the document lists and the
//     request's age, and only then shows the provider's name with its
//     origin. Anything else is refused and nothing is stored.
//
// So a page that sends the owner to My Home with its own address and key
// but a trusted provider's return URL cannot sign for that provider's
// origin, and is refused. Both sides use this package: Wattt to publish its
// document and sign, My Home to fetch and verify. docs/protocol.md has the
// formats and the security argument.
package providermeta
