//! Reading what a JavaScript runtime made (`JSON.parse`'s values; in the Worker also SQLite's rows) into Rust
//! types: a serde deserializer over a `JsValue` that knows where it is, so that every error names its field as
//! a path (`resourceTypes[1].durationMinutes`), and that words a refused value by its kind alone (no value is
//! echoed, and no number or string formatting is carried for it). The reader of one value lives here; the
//! parts of a value (items, entries, a variant, a struct's fields) in `access`; why a value is refused in `error`.

mod access;
mod error;

pub use error::ReadError;

use access::{Entries, Fields, Items, Variant};
use js_sys::{Array, Object};
use serde::de::{self, DeserializeOwned, Expected, Unexpected, Visitor};
use wasm_bindgen::JsValue;

/// `value` read as a `T`.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, ReadError> {
    T::deserialize(Js(value))
}

struct Js(JsValue);

/// What a value is, found once, out of line.
enum Kind {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(String),
    List,
    Object,
    Other,
}

impl Js {
    #[inline(never)]
    fn kind(&self) -> Kind {
        let v = &self.0;
        if v.is_null() || v.is_undefined() {
            Kind::Null
        } else if let Some(b) = v.as_bool() {
            Kind::Bool(b)
        } else if let Some(n) = v.as_f64() {
            match n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER {
                true if n >= 0.0 => Kind::Unsigned(n as u64),
                true => Kind::Signed(n as i64),
                false => Kind::Float(n),
            }
        } else if let Some(s) = v.as_string() {
            Kind::Text(s)
        } else if Array::is_array(v) {
            Kind::List
        } else if v.is_object() {
            Kind::Object
        } else {
            Kind::Other
        }
    }

    #[inline(never)]
    fn refuse(&self, expected: &dyn Expected) -> ReadError {
        let v = &self.0;
        let what = if v.is_null() || v.is_undefined() {
            Unexpected::Unit
        } else if v.as_bool().is_some() {
            Unexpected::Bool(false)
        } else if v.as_f64().is_some() {
            Unexpected::Float(0.0)
        } else if v.is_string() {
            Unexpected::Str("")
        } else if Array::is_array(v) {
            Unexpected::Seq
        } else if v.is_object() {
            Unexpected::Map
        } else {
            Unexpected::Other("an unreadable value")
        };
        de::Error::invalid_type(what, expected)
    }

    fn is_nullish(&self) -> bool {
        self.0.is_null() || self.0.is_undefined()
    }

    /// The variant an enum's value names, if it names one.
    #[inline(never)]
    fn variant(&self) -> Option<Variant> {
        if let Some(name) = self.0.as_string() {
            return Some(Variant { name, content: None });
        }
        let entries = Object::entries(self.object()?);
        if entries.length() != 1 {
            return None;
        }
        let entry: Array = wasm_bindgen::JsCast::unchecked_into(entries.get(0));
        Some(Variant {
            name: entry.get(0).as_string()?,
            content: Some(entry.get(1)),
        })
    }

    /// A plain object (not an array, not null).
    fn object(&self) -> Option<&Object> {
        (self.0.is_object() && !Array::is_array(&self.0)).then(|| wasm_bindgen::JsCast::unchecked_ref(&self.0))
    }
}

/// JavaScript numbers are doubles: an integral one within the safe range is an integer.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl<'de> de::Deserializer<'de> for Js {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self.kind() {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(b),
            Kind::Unsigned(n) => visitor.visit_u64(n),
            Kind::Signed(n) => visitor.visit_i64(n),
            Kind::Float(n) => visitor.visit_f64(n),
            Kind::Text(s) => visitor.visit_string(s),
            Kind::List => self.deserialize_seq(visitor),
            Kind::Object => self.deserialize_map(visitor),
            Kind::Other => Err(self.refuse(&visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        if self.is_nullish() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self.0.as_string() {
            Some(s) => visitor.visit_string(s),
            None => Err(self.refuse(&visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        if !Array::is_array(&self.0) {
            return Err(self.refuse(&visitor));
        }
        let items: Array = wasm_bindgen::JsCast::unchecked_into(self.0);
        visitor.visit_seq(Items { items, next: 0 })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        let Some(object) = self.object() else {
            return Err(self.refuse(&visitor));
        };
        visitor.visit_map(Entries {
            entries: Object::entries(object),
            next: 0,
            key: String::new(),
            value: JsValue::UNDEFINED,
        })
    }

    /// A struct is read field by field in its declared order, each looked up by name: serde's reader of a
    /// struct as a sequence, which is much smaller than its reader of a struct as a map (no matching of key
    /// names, no duplicate keys), and the only one the files then carry. Keys the struct does not name are
    /// ignored, as serde ignores them.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        let Some(object) = self.object() else {
            return Err(self.refuse(&visitor));
        };
        let mut named = Fields {
            object: object.clone(),
            fields,
            next: 0,
            missing: "",
        };
        let read = visitor.visit_seq(&mut named);
        read.map_err(|e| named.explain(e))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        visitor.visit_newtype_struct(self)
    }

    /// An enum as serde_json writes one: a unit variant as its name, any other as `{"name": content}`.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        match self.variant() {
            Some(variant) => visitor.visit_enum(variant),
            None => Err(self.refuse(&visitor)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct tuple_struct
    }
}
