//! Native tooling around the core: reading manifests (`manifest`), judging every object of a
//! manifest on its own (`lint`: the `check` command and the playground) and the case-suite
//! runner (`suite`: `secretfree test`, `tests/cases.rs`). The core never calls into it.

#[cfg(feature = "yaml")]
pub mod fix;
#[cfg(feature = "yaml")]
pub mod lint;
#[cfg(feature = "yaml")]
pub mod manifest;
#[cfg(feature = "yaml")]
pub mod positions;
#[cfg(feature = "cli")]
pub mod suite;
