//! Grammars of the values the rules read, one module per subject. Pure, no panics on any input.

pub mod hostport;
pub mod regions;
pub mod text;
pub mod values;
