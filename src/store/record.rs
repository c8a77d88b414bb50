//! Versioned record encoding: one version byte, then the bincode body.
//!
//! The version byte lets a later release read what an older one wrote: a
//! record type whose layout changes bumps [`Record::VERSION`], keeps its old
//! layout as a private struct, and converts in [`Record::upgrade`].

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A type kept in its own sled tree.
pub trait Record: Serialize + DeserializeOwned {
    /// The sled tree that holds records of this type.
    const TREE: &'static str;
    /// A human name for error messages ("resource", "credential").
    const KIND: &'static str;
    /// The layout version this release writes.
    const VERSION: u8;

    /// Decodes a record written with an older layout `version`. The default
    /// knows none: types override it when they bump `VERSION`.
    fn upgrade(version: u8, _body: &[u8]) -> Result<Self, RecordError> {
        Err(RecordError::UnknownVersion { found: version, current: Self::VERSION })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("empty value")]
    Empty,
    #[error(
        "written by a newer or unknown layout (version {found}; this release reads up to {current}): upgrade Alpenglow"
    )]
    UnknownVersion { found: u8, current: u8 },
    #[error("malformed body: {0}")]
    Malformed(String),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

pub(crate) fn encode<T: Record>(value: &T) -> Vec<u8> {
    let mut out = vec![T::VERSION];
    // Encoding plain serde structs into a Vec cannot fail.
    let body = bincode::serde::encode_to_vec(value, config()).expect("record types encode");
    out.extend_from_slice(&body);
    out
}

pub(crate) fn decode<T: Record>(bytes: &[u8]) -> Result<T, RecordError> {
    let (&version, body) = bytes.split_first().ok_or(RecordError::Empty)?;
    if version == T::VERSION {
        decode_body(body)
    } else if version > T::VERSION {
        Err(RecordError::UnknownVersion { found: version, current: T::VERSION })
    } else {
        T::upgrade(version, body)
    }
}

/// Decodes a bincode body of any layout; `upgrade` implementations use it for
/// their old structs.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, RecordError> {
    let (value, read) =
        bincode::serde::decode_from_slice(body, config()).map_err(|e| RecordError::Malformed(e.to_string()))?;
    if read != body.len() {
        return Err(RecordError::Malformed(format!("{} trailing bytes", body.len() - read)));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct V1 {
        name: String,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Current {
        name: String,
        enabled: bool,
    }

    impl Record for Current {
        const TREE: &'static str = "t";
        const KIND: &'static str = "thing";
        const VERSION: u8 = 2;
        fn upgrade(version: u8, body: &[u8]) -> Result<Self, RecordError> {
            match version {
                1 => {
                    let old: V1 = decode_body(body)?;
                    Ok(Current { name: old.name, enabled: true })
                }
                _ => Err(RecordError::UnknownVersion { found: version, current: 2 }),
            }
        }
    }

    #[test]
    fn old_layout_upgrades_and_newer_is_refused() {
        let mut v1 = vec![1u8];
        v1.extend(bincode::serde::encode_to_vec(V1 { name: "n".into() }, config()).unwrap());
        assert_eq!(decode::<Current>(&v1).unwrap(), Current { name: "n".into(), enabled: true });

        let current = Current { name: "m".into(), enabled: false };
        assert_eq!(decode::<Current>(&encode(&current)).unwrap(), current);

        let mut v9 = encode(&current);
        v9[0] = 9;
        assert!(matches!(decode::<Current>(&v9), Err(RecordError::UnknownVersion { found: 9, .. })));
        assert!(matches!(decode::<Current>(&[]), Err(RecordError::Empty)));
        assert!(matches!(decode::<Current>(&[2, 0xff]), Err(RecordError::Malformed(_))));
    }
}
