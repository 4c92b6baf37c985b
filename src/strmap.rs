//! [`StrMap`]: the string-to-string maps of a request (labels, annotations, nodeSelector) as
//! one list sorted by key.
//!
//! A request's maps hold a handful of entries, and the rules look keys up in them dozens of
//! times per request: a sorted list is read without following pointers, and a lookup first
//! rules entries out by their length. It is built in one go ([`StrMap::from_entries`]: one
//! sort, the last of repeated keys kept, as a JSON object reads), so a hostile request with
//! very many keys costs `n log n`, not `n²`.

#![forbid(unsafe_code)]

use std::borrow::{Borrow, Cow};

/// A string of the request: borrowed from the request text unless it has escapes.
pub type Str<'a> = Cow<'a, str>;

/// Keys in order, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrMap<'a> {
    entries: Vec<(Str<'a>, Str<'a>)>,
}

impl<'a> StrMap<'a> {
    /// An empty map.
    pub const fn new() -> StrMap<'a> {
        StrMap {
            entries: Vec::new(),
        }
    }

    /// The map of `entries` in the order they were written: a repeated key keeps its last value.
    pub fn from_entries(mut entries: Vec<(Str<'a>, Str<'a>)>) -> StrMap<'a> {
        // The API server writes map keys in order, each once: then there is nothing to do.
        let mut pairs = entries.iter().zip(entries.iter().skip(1));
        if pairs.all(|(a, b)| a.0 < b.0) {
            return StrMap { entries };
        }
        // Stable: of equal keys, the one written last comes last and is kept.
        crate::sort::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
        // Of a run of equal keys, the first stays with the last one's value.
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        StrMap { entries }
    }

    /// Where `key` is.
    #[inline]
    fn find(&self, key: &str) -> Option<usize> {
        // Few entries: a scan that compares lengths first rules most of them out cheaply.
        if self.entries.len() <= 8 {
            return self
                .entries
                .iter()
                .position(|(k, _)| k.len() == key.len() && **k == *key);
        }
        self.entries
            .binary_search_by(|(k, _)| Borrow::<str>::borrow(k).cmp(key))
            .ok()
    }

    /// The value of `key`.
    // Out of line: called from dozens of rules (1.2 KB of wasm when inlined in each).
    #[inline(never)]
    pub fn get(&self, key: &str) -> Option<&Str<'a>> {
        let i = self.find(key)?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// Whether `key` is there.
    #[inline(never)]
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// Set `key` to `value` (replacing its value if it is there).
    pub fn insert(&mut self, key: Str<'a>, value: Str<'a>) {
        match self
            .entries
            .binary_search_by(|(k, _)| Borrow::<str>::borrow(k).cmp(&key))
        {
            Ok(i) => {
                if let Some(entry) = self.entries.get_mut(i) {
                    entry.1 = value;
                }
            }
            Err(i) => self.entries.insert(i, (key, value)),
        }
    }

    /// Remove `key`, giving its value.
    pub fn remove(&mut self, key: &str) -> Option<Str<'a>> {
        let i = self.find(key)?;
        Some(self.entries.remove(i).1)
    }

    /// The entries, keys in order.
    pub fn iter(&self) -> <&StrMap<'a> as IntoIterator>::IntoIter {
        self.into_iter()
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Str<'a>> + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One entry as a pair of references.
type EntryRefs<'m, 'a> = fn(&'m (Str<'a>, Str<'a>)) -> (&'m Str<'a>, &'m Str<'a>);

impl<'m, 'a> IntoIterator for &'m StrMap<'a> {
    type Item = (&'m Str<'a>, &'m Str<'a>);
    type IntoIter = std::iter::Map<std::slice::Iter<'m, (Str<'a>, Str<'a>)>, EntryRefs<'m, 'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> FromIterator<(Str<'a>, Str<'a>)> for StrMap<'a> {
    fn from_iter<I: IntoIterator<Item = (Str<'a>, Str<'a>)>>(iter: I) -> StrMap<'a> {
        StrMap::from_entries(iter.into_iter().collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn entries(pairs: &[(&'static str, &'static str)]) -> Vec<(Str<'static>, Str<'static>)> {
        pairs
            .iter()
            .map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
            .collect()
    }

    /// Every operation gives what a `BTreeMap` gives, on small and large maps.
    #[test]
    fn behaves_as_a_btree_map() {
        let keys: Vec<String> = (0..40u32)
            .map(|i| format!("k{}", (i * 7919) % 23))
            .collect();
        for n in [0, 1, 3, 8, 9, 40] {
            let pairs: Vec<(Str<'static>, Str<'static>)> = keys
                .iter()
                .take(n)
                .enumerate()
                .map(|(i, k)| (Cow::Owned(k.clone()), Cow::Owned(i.to_string())))
                .collect();
            let mut ours = StrMap::from_entries(pairs.clone());
            let mut theirs: BTreeMap<Str<'static>, Str<'static>> = pairs.into_iter().collect();
            let same = |a: &StrMap<'_>, b: &BTreeMap<Str<'_>, Str<'_>>| {
                a.iter().eq(b.iter()) && a.len() == b.len()
            };
            assert!(same(&ours, &theirs), "{n}");
            for probe in ["k0", "k5", "k22", "k99", "", "k"] {
                assert_eq!(ours.get(probe), theirs.get(probe), "{n} {probe}");
                assert_eq!(ours.contains_key(probe), theirs.contains_key(probe));
            }
            for (k, v) in [("k3", "x"), ("a", "y"), ("z", "w"), ("k3", "again")] {
                ours.insert(Cow::Borrowed(k), Cow::Borrowed(v));
                theirs.insert(Cow::Borrowed(k), Cow::Borrowed(v));
                assert!(same(&ours, &theirs), "{n} insert {k}");
            }
            for k in ["k3", "missing", "a"] {
                assert_eq!(ours.remove(k), theirs.remove(k));
                assert!(same(&ours, &theirs), "{n} remove {k}");
            }
        }
    }

    #[test]
    fn the_last_of_repeated_keys_wins() {
        let map = StrMap::from_entries(entries(&[("b", "1"), ("a", "2"), ("b", "3"), ("b", "4")]));
        assert_eq!(map.len(), 2);
        assert_eq!(map.get("b").map(|v| &**v), Some("4"));
        assert_eq!(map.keys().map(|k| &**k).collect::<Vec<_>>(), ["a", "b"]);
    }
}
