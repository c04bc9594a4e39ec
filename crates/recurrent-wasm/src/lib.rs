//! wasm-bindgen exports over recurrent-core: handles, argument checks, errors. No maths.
//!
//! Every export validates its arguments and returns `Result<_, JsError>`; the message starts
//! with a bracketed kind (`[InvalidArgument]`, `[StaleHandle]`, `[OutOfMemory]`) that the
//! TypeScript side turns into a typed `Error` subclass. Nothing reachable from bad arguments
//! panics: a panic would trap and leave the instance unusable.

mod abi_error;
mod buffers;
mod build_info;
mod gemm;
mod registry;
mod rnn;
mod taken;
mod threads;
mod train;
mod views;
