//! OPA WebAssembly ABI 1.3 module (work in progress).
