//! Why a value could not be read: where (its path) and what, with a refused value worded by its kind alone.

use crate::error::Unreadable;
use serde::de::{self, Expected, Unexpected};
use std::fmt;

/// Why a value could not be read (where and what), boxed so that every result on the way carries one pointer.
#[derive(Debug)]
pub struct ReadError(Box<Unreadable>);

// The error paths are kept out of line: inlined, they would be copied into every field of every type read.
impl ReadError {
    pub fn into_unreadable(self) -> Unreadable {
        *self.0
    }

    /// serde's word that a sequence ended early, said of the value itself (not of a field in it).
    pub(super) fn ended_early(&self) -> bool {
        self.0.path.is_empty() && self.0.message.starts_with(TOO_SHORT)
    }

    #[inline(never)]
    pub(super) fn in_field(mut self, key: &str) -> Self {
        let path = &mut self.0.path;
        *path = match path.chars().next() {
            None => key.to_string(),
            Some('[') => format!("{key}{path}"),
            Some(_) => format!("{key}.{path}"),
        };
        self
    }

    #[inline(never)]
    pub(super) fn at_index(mut self, i: u32) -> Self {
        let path = &mut self.0.path;
        *path = match path.chars().next() {
            None | Some('[') => format!("[{i}]{path}"),
            Some(_) => format!("[{i}].{path}"),
        };
        self
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Unreadable { path, message } = &*self.0;
        if path.is_empty() {
            f.write_str(message)
        } else {
            write!(f, "{path}: {message}")
        }
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        ReadError(Box::new(Unreadable {
            path: String::new(),
            message: message.to_string(),
        }))
    }

    #[inline(never)]
    fn invalid_type(unexpected: Unexpected, expected: &dyn Expected) -> Self {
        Self::custom(format_args!("invalid type: {}, expected {expected}", kind(&unexpected)))
    }

    #[inline(never)]
    fn invalid_length(len: usize, expected: &dyn Expected) -> Self {
        Self::custom(format_args!("{TOO_SHORT} {len}, expected {expected}"))
    }

    #[inline(never)]
    fn invalid_value(unexpected: Unexpected, expected: &dyn Expected) -> Self {
        Self::custom(format_args!(
            "invalid value: {}, expected {expected}",
            kind(&unexpected)
        ))
    }
}

/// How serde says a sequence was shorter than it wanted.
const TOO_SHORT: &str = "invalid length";

/// A refused value's kind, without the value.
fn kind<'a>(unexpected: &Unexpected<'a>) -> &'a str {
    match unexpected {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
        Unexpected::Str(_) | Unexpected::Char(_) => "a string",
        Unexpected::Unit | Unexpected::Option => "null",
        Unexpected::Seq => "an array",
        Unexpected::Map => "an object",
        Unexpected::Other(what) => what,
        _ => "another kind of value",
    }
}
