//! The model's serde `Deserialize` implementations: the reference the request decoder
//! ([`super::Decode`] over `json::reader`) is checked against, through serde_json's typed
//! decode (`decode::read_serde`, its tests and `fuzz/`). The wasm builds do not use them.

#![forbid(unsafe_code)]

use super::{Gvk, KindField, NamedRef, Scalar, SecretRef, Str, StrMap};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// How a field of the model is read: as `Deserialize` would, but strings borrow from the
/// request text where they can (serde's own `Cow<str>` always copies).
pub(super) trait Field<'de>: Sized {
    fn read<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// A [`Field`] as a `Deserialize` value.
pub(super) struct Read<T>(pub(super) T);

impl<'de, T: Field<'de>> Deserialize<'de> for Read<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::read(d).map(Read)
    }
}

/// Reads a string, borrowed where it can be; `expecting` words the type error.
struct StrVisitor(&'static str);

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

impl<'de> Field<'de> for Str<'de> {
    fn read<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_string(StrVisitor("a string"))
    }
}

/// A map key that borrows from the input when it can.
pub(super) struct Key<'de>(pub(super) Str<'de>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor("a string key")).map(Key)
    }
}

impl<'de, T: Field<'de>> Field<'de> for Vec<T> {
    fn read<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Field<'de>> Visitor<'de> for V<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                // As serde's own Vec: a size hint, capped.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(Read(item)) = seq.next_element::<Read<T>>()? {
                    out.push(item);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V(PhantomData))
    }
}

impl<'de, T: Field<'de>> Field<'de> for Box<T> {
    fn read<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::read(d).map(Box::new)
    }
}

impl<'de> Field<'de> for StrMap<'de> {
    fn read<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrMap<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrMap<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((Key(k), Read(v))) = map.next_entry::<Key<'de>, Read<Str<'de>>>()? {
                    out.push((k, v));
                }
                Ok(StrMap::from_entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for KindField<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KindField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a kind name or a {group, version, kind} object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<KindField<'de>, E> {
                Ok(KindField::Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KindField<'de>, E> {
                Ok(KindField::Name(Cow::Owned(v.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KindField<'de>, A::Error> {
                Gvk::deserialize(de::value::MapAccessDeserializer::new(map)).map(KindField::Gvk)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for SecretRef<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretRef<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a {name: ...} object or a \"<namespace>:<name>\" string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<SecretRef<'de>, E> {
                Ok(SecretRef::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretRef<'de>, E> {
                Ok(SecretRef::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SecretRef<'de>, A::Error> {
                NamedRef::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|n| SecretRef::Named(n.name))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::UInt(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_any(V)
    }
}

/// The enums of the model read as they deserialize.
macro_rules! field_by_deserialize {
    ($($name:ident),*) => {$(
        impl<'a> Field<'a> for $name<'a> {
            fn read<D: Deserializer<'a>>(d: D) -> Result<Self, D::Error> {
                Self::deserialize(d)
            }
        }
    )*};
}

field_by_deserialize!(KindField, SecretRef, Scalar);
