//! Reading what a JavaScript runtime made (`JSON.parse`'s values; in the Worker also SQLite's rows) into Rust
//! types: a serde deserializer over a `JsValue` that knows where it is, so that every error names its field as
//! a path (`resourceTypes[1].durationMinutes`), and that words a refused value by its kind alone (no value is
//! echoed, and no number or string formatting is carried for it).

use crate::error::Unreadable;
use js_sys::{Array, Object};
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Expected, Unexpected, Visitor};
use std::fmt;
use wasm_bindgen::JsValue;

/// Why a value could not be read (where and what), boxed so that every result on the way carries one pointer.
#[derive(Debug)]
pub struct ReadError(Box<Unreadable>);

// The error paths are kept out of line: inlined, they would be copied into every field of every type read.
impl ReadError {
    pub fn into_unreadable(self) -> Unreadable {
        *self.0
    }

    #[inline(never)]
    fn in_field(mut self, key: &str) -> Self {
        let path = &mut self.0.path;
        *path = match path.chars().next() {
            None => key.to_string(),
            Some('[') => format!("{key}{path}"),
            Some(_) => format!("{key}.{path}"),
        };
        self
    }

    #[inline(never)]
    fn at_index(mut self, i: u32) -> Self {
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

/// An array's items, each read at its index.
struct Items {
    items: Array,
    next: u32,
}

impl Items {
    #[inline(never)]
    fn take(&mut self) -> Option<(u32, JsValue)> {
        let i = self.next;
        (i < self.items.length()).then(|| {
            self.next += 1;
            (i, self.items.get(i))
        })
    }
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = ReadError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, ReadError> {
        let Some((i, item)) = self.take() else {
            return Ok(None);
        };
        seed.deserialize(Js(item)).map(Some).map_err(|e| e.at_index(i))
    }

    fn size_hint(&self) -> Option<usize> {
        Some((self.items.length() - self.next) as usize)
    }
}

/// An object's own entries (`Object.entries`), each value read under its key.
struct Entries {
    entries: Array,
    next: u32,
    key: String,
    value: JsValue,
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = ReadError;

    fn next_key_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, ReadError> {
        if !self.advance() {
            return Ok(None);
        }
        seed.deserialize(StrDeserializer::new(&self.key)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, ReadError> {
        seed.deserialize(Js(self.take_value()))
            .map_err(|e| e.in_field(&self.key))
    }
}

impl Entries {
    /// Moves to the next entry: its key and value.
    #[inline(never)]
    fn advance(&mut self) -> bool {
        if self.next >= self.entries.length() {
            return false;
        }
        let entry: Array = wasm_bindgen::JsCast::unchecked_into(self.entries.get(self.next));
        self.next += 1;
        self.key = entry.get(0).as_string().unwrap_or_default();
        self.value = entry.get(1);
        true
    }

    #[inline(never)]
    fn take_value(&mut self) -> JsValue {
        std::mem::replace(&mut self.value, JsValue::UNDEFINED)
    }
}

/// An enum's variant: its name, and its content unless it is a unit variant.
struct Variant {
    name: String,
    content: Option<JsValue>,
}

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = ReadError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), ReadError> {
        let name = seed.deserialize(StrDeserializer::new(&self.name))?;
        Ok((name, self))
    }
}

impl Variant {
    #[inline(never)]
    fn content(self) -> Result<(Js, String), ReadError> {
        match self.content {
            Some(v) => Ok((Js(v), self.name)),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"a variant with content",
            )),
        }
    }

    #[inline(never)]
    fn unit(self) -> Result<(), ReadError> {
        match self.content {
            None => Ok(()),
            Some(_) => Err(de::Error::invalid_type(Unexpected::Map, &"a unit variant")),
        }
    }
}

impl<'de> de::VariantAccess<'de> for Variant {
    type Error = ReadError;

    fn unit_variant(self) -> Result<(), ReadError> {
        self.unit()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, ReadError> {
        let (content, name) = self.content()?;
        seed.deserialize(content).map_err(|e| e.in_field(&name))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, ReadError> {
        let (content, name) = self.content()?;
        de::Deserializer::deserialize_seq(content, visitor).map_err(|e| e.in_field(&name))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        let (content, name) = self.content()?;
        de::Deserializer::deserialize_struct(content, "", fields, visitor).map_err(|e| e.in_field(&name))
    }
}

/// A struct's fields, in its declared order, read from an object by name.
struct Fields {
    object: Object,
    fields: &'static [&'static str],
    next: usize,
    /// The last field that was absent, for serde's "too short" to be told as the field it missed.
    missing: &'static str,
}

impl Fields {
    #[inline(never)]
    fn take(&mut self) -> Option<JsValue> {
        let name = self.fields.get(self.next)?;
        self.next += 1;
        Some(js_sys::Reflect::get(&self.object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED))
    }

    /// A field's value refused: the error, at the field; or none when the field is absent, so that serde
    /// takes its default (or says it is missing).
    #[inline(never)]
    fn refused(&mut self, e: ReadError, absent: bool) -> Option<ReadError> {
        let name = self.fields[self.next - 1];
        if absent {
            self.missing = name;
            None
        } else {
            Some(e.in_field(name))
        }
    }

    /// serde's error for a struct read as a sequence that ended early is its missing field's.
    #[inline(never)]
    fn explain(&self, e: ReadError) -> ReadError {
        if e.0.path.is_empty() && e.0.message.starts_with(TOO_SHORT) {
            de::Error::missing_field(self.missing)
        } else {
            e
        }
    }
}

impl<'de> de::SeqAccess<'de> for &mut Fields {
    type Error = ReadError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, ReadError> {
        let Some(value) = self.take() else {
            return Ok(None);
        };
        // An absent field reads as undefined: an `Option` takes it as none, anything else is missing.
        let absent = value.is_undefined();
        match seed.deserialize(Js(value)) {
            Ok(v) => Ok(Some(v)),
            Err(e) => match self.refused(e, absent) {
                None => Ok(None),
                Some(e) => Err(e),
            },
        }
    }
}
