//! Host adapters: ABI glue only (decode host input, call `crate::engines`, encode the answer).
//!
//! Each adapter is compiled only for wasm32 and only with its feature; one artifact, one
//! adapter. These are the only modules allowed `unsafe` (raw pointers across the ABI).

#![allow(unsafe_code)]

#[cfg(all(
    target_arch = "wasm32",
    any(
        all(feature = "kubewarden", feature = "opa"),
        all(feature = "kubewarden", feature = "component"),
        all(feature = "opa", feature = "component"),
        all(feature = "browser", feature = "kubewarden"),
        all(feature = "browser", feature = "opa"),
        all(feature = "browser", feature = "component"),
    )
))]
compile_error!(
    "build one host adapter per artifact: enable only one of kubewarden, opa, component, browser"
);

#[cfg(all(target_arch = "wasm32", feature = "browser"))]
mod browser;
#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
#[cfg(all(target_arch = "wasm32", feature = "kubewarden"))]
mod kubewarden;
#[cfg(all(
    target_arch = "wasm32",
    any(feature = "kubewarden", feature = "opa", feature = "component")
))]
mod memcmp;
#[cfg(all(
    target_arch = "wasm32",
    any(feature = "kubewarden", feature = "opa", feature = "component")
))]
mod memory;
#[cfg(all(target_arch = "wasm32", feature = "opa"))]
mod opa;
