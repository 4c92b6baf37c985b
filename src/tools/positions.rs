//! Where each value of a manifest sits in its source text: a tree of 1-based lines and columns
//! beside the JSON value, built by the YAML loader (`crate::yaml`) or, for JSON text, from the
//! JSON lexer's tokens. Findings carry JSON pointers; [`PosTree::locate`] turns one into the
//! line and column of the key (or list item) it names.

#![forbid(unsafe_code)]

use crate::json::lexer::{Lexer, Token};
use crate::json::pointer;

/// A place in a source text: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// The positions of one value and everything inside it, shaped like the value.
#[derive(Debug, Clone, PartialEq)]
pub enum PosTree {
    /// A scalar (or a value whose inside is not tracked): where it starts.
    Leaf(Pos),
    /// A sequence: where it starts, and each item.
    Seq(Pos, Vec<PosTree>),
    /// A mapping: where it starts, and each entry as written (key, where the key is, the
    /// value's tree). A key written twice has two entries: the last one counts, as in the value.
    Map(Pos, Vec<(String, Pos, PosTree)>),
}

impl PosTree {
    /// Where this value starts.
    pub fn pos(&self) -> Pos {
        match self {
            PosTree::Leaf(p) | PosTree::Seq(p, _) | PosTree::Map(p, _) => *p,
        }
    }

    /// The subtree at a JSON pointer, if the whole pointer resolves.
    pub fn get(&self, pointer: &str) -> Option<&PosTree> {
        let mut node = self;
        for token in tokens(pointer) {
            node = node.child(&token)?.1;
        }
        Some(node)
    }

    fn child(&self, token: &str) -> Option<(Pos, &PosTree)> {
        match self {
            PosTree::Leaf(_) => None,
            PosTree::Seq(_, items) => {
                let item = items.get(token.parse::<usize>().ok()?)?;
                Some((item.pos(), item))
            }
            PosTree::Map(_, entries) => entries
                .iter()
                .rev()
                .find(|(k, _, _)| k == token)
                .map(|(_, key, tree)| (*key, tree)),
        }
    }

    /// The line and column a finding at `pointer` points to: the key of the deepest mapping
    /// entry (or the start of the list item) the pointer reaches. A pointer that goes on past
    /// what the source has (a key to add) stops at the deepest part that exists.
    pub fn locate(&self, pointer: &str) -> Pos {
        let mut node = self;
        let mut at = self.pos();
        for token in tokens(pointer) {
            match node.child(&token) {
                Some((pos, child)) => {
                    at = pos;
                    node = child;
                }
                None => break,
            }
        }
        at
    }
}

/// The unescaped reference tokens of a JSON pointer (`""` has none).
fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .strip_prefix('/')
        .into_iter()
        .flat_map(|rest| rest.split('/'))
        .map(pointer::unescape)
}

/// Line and column of byte offsets, asked in increasing order (one pass over the text).
struct Cursor<'a> {
    text: &'a [u8],
    offset: usize,
    pos: Pos,
}

impl Cursor<'_> {
    fn at(&mut self, offset: usize) -> Pos {
        let end = offset.min(self.text.len());
        if end < self.offset {
            return self.pos;
        }
        for &b in self.text.get(self.offset..end).unwrap_or_default() {
            if b == b'\n' {
                self.pos.line += 1;
                self.pos.column = 1;
            } else if b & 0xC0 != 0x80 {
                // A character starts here (UTF-8 continuation bytes do not count).
                self.pos.column += 1;
            }
        }
        self.offset = end;
        self.pos
    }
}

/// One open container while reading JSON tokens.
enum Open {
    Seq(Pos, Vec<PosTree>),
    Map(Pos, Vec<(String, Pos, PosTree)>, Option<(String, Pos)>),
}

/// The position tree of a JSON text that serde_json has read (so it is well formed); `None`
/// if the tokens do not make one value.
pub fn json_tree(text: &str) -> Option<PosTree> {
    let bytes = text.as_bytes();
    let mut cursor = Cursor {
        text: bytes,
        offset: 0,
        pos: Pos { line: 1, column: 1 },
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut done: Option<PosTree> = None;
    for lexeme in Lexer::new(bytes) {
        let pos = cursor.at(lexeme.start);
        let finished = match lexeme.token {
            Token::ObjectStart => {
                stack.push(Open::Map(pos, Vec::new(), None));
                None
            }
            Token::ArrayStart => {
                stack.push(Open::Seq(pos, Vec::new()));
                None
            }
            Token::ObjectEnd => match stack.pop()? {
                Open::Map(p, entries, _) => Some(PosTree::Map(p, entries)),
                Open::Seq(..) => return None,
            },
            Token::ArrayEnd => match stack.pop()? {
                Open::Seq(p, items) => Some(PosTree::Seq(p, items)),
                Open::Map(..) => return None,
            },
            Token::Colon | Token::Comma => None,
            Token::String => {
                if let Some(Open::Map(_, _, key @ None)) = stack.last_mut() {
                    let content = bytes
                        .get(lexeme.start + 1..lexeme.end.saturating_sub(1))
                        .unwrap_or_default();
                    *key = Some((pointer::decode(content), pos));
                    None
                } else {
                    Some(PosTree::Leaf(pos))
                }
            }
            Token::Number | Token::True | Token::False | Token::Null => Some(PosTree::Leaf(pos)),
            Token::Invalid => return None,
        };
        if let Some(tree) = finished {
            match stack.last_mut() {
                Some(Open::Seq(_, items)) => items.push(tree),
                Some(Open::Map(_, entries, key)) => {
                    let (k, at) = key.take()?;
                    entries.push((k, at, tree));
                }
                None => {
                    done = Some(tree);
                    break;
                }
            }
        }
    }
    done
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn json_positions_follow_keys_items_and_characters() {
        let text =
            "{\n  \"a\": {\"b/c\": [1, {\"d\": \"é\", \"e\": 2}]},\n  \"a\": {\"x\": true}\n}";
        let tree = json_tree(text).unwrap();
        // The last `a` counts, as in the value.
        assert_eq!(tree.locate("/a"), Pos { line: 3, column: 3 });
        assert_eq!(tree.locate("/a/x"), Pos { line: 3, column: 9 });
        let first = json_tree("{\"a\": {\"b/c\": [1, {\"d\": \"é\", \"e\": 2}]}}").unwrap();
        assert_eq!(
            first.locate("/a/b~1c/1/e"),
            Pos {
                line: 1,
                column: 30
            }
        );
        assert_eq!(
            first.locate("/a/b~1c/1"),
            Pos {
                line: 1,
                column: 19
            }
        );
        // Past what exists: the deepest part that does.
        assert_eq!(first.locate("/a/missing/x"), Pos { line: 1, column: 2 });
        assert_eq!(first.locate(""), Pos { line: 1, column: 1 });
    }
}
