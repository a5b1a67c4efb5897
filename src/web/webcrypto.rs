//! AES-256-GCM, HMAC-SHA-256 and SHA-256 through WebCrypto (SubtleCrypto).

/// Whether SubtleCrypto is available in this context.
pub fn available() -> bool {
    false
}
