//! The parts of a value being read, each as serde asks for it: an array's items, an object's entries, an enum's
//! variant, and a struct's fields by name. Every error is placed at the index or key it came from.

use super::{Js, ReadError};
use js_sys::{Array, Object};
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeSeed, Unexpected, Visitor};
use wasm_bindgen::JsValue;
/// An array's items, each read at its index.
pub(super) struct Items {
    pub(super) items: Array,
    pub(super) next: u32,
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
pub(super) struct Entries {
    pub(super) entries: Array,
    pub(super) next: u32,
    pub(super) key: String,
    pub(super) value: JsValue,
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
pub(super) struct Variant {
    pub(super) name: String,
    pub(super) content: Option<JsValue>,
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
pub(super) struct Fields {
    pub(super) object: Object,
    pub(super) fields: &'static [&'static str],
    pub(super) next: usize,
    /// The last field that was absent, for serde's "too short" to be told as the field it missed.
    pub(super) missing: &'static str,
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
    pub(super) fn explain(&self, e: ReadError) -> ReadError {
        if e.ended_early() {
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
