//! WebAssembly Component (work in progress).
