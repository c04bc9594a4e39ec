//! wasm-bindgen exports over recurrent-core: handles, argument checks, errors. No maths.
//!
//! Every export validates its arguments and returns `Result<_, JsError>`; the message starts
//! with a bracketed kind (`[InvalidArgument]`, `[StaleHandle]`, `[OutOfMemory]`) that the
//! TypeScript side turns into a typed `Error` subclass. Nothing reachable from bad arguments
//! panics, and nothing allocates infallibly: a panic or an aborted allocation would trap and
//! leave the instance unusable. Every allocation uses `try_reserve` (see `recurrent_core::mem`);
//! errors are formatted without allocating (`abi_error`); arrays and names come in as JS values
//! (`js_input`) rather than through wasm-bindgen's infallible allocator.

mod abi_error;
mod attention;
mod buffers;
mod build_info;
mod elementwise;
mod gemm;
mod js_input;
mod params;
mod registry;
mod rnn;
mod rnn_run;
mod setup;
mod taken;
#[cfg(feature = "test-exports")]
mod test_exports;
mod threads;
mod train;
mod tree;
mod views;
