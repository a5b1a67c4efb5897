//! 32-byte identifiers, shown and stored as 64 lowercase hex digits.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A blob id (keyed HMAC-SHA-256 of the plaintext) or an object id (SHA-256
/// of the stored bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Id(pub [u8; 32]);

impl Id {
    /// Parses 64 hex digits.
    ///
    /// # Errors
    /// [`Error::Malformed`] if `s` is not 64 hex digits.
    pub fn parse(s: &str) -> Result<Id> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|e| Error::malformed(format!("id {s:?}"), e))?;
        Ok(Id(out))
    }

    /// The 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first 8 hex digits, as shown in listings.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.short())
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Id, D::Error> {
        let s = String::deserialize(d)?;
        Id::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = Id([0xab; 32]);
        assert_eq!(Id::parse(&id.to_hex()).unwrap(), id);
        assert_eq!(id.short(), "abababab");
        assert!(Id::parse("zz").is_err());
        assert!(Id::parse(&"0".repeat(63)).is_err());
    }
}
