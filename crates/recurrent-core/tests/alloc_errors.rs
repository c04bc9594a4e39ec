//! Memory that cannot be had is an error of kind `OutOfMemory` giving the bytes asked for,
//! never an abort (in wasm an abort traps the instance for good), and the error is complete
//! without allocating.

use recurrent_core::error::ErrorKind;
use recurrent_core::mem;
use recurrent_core::rnn::{CellKind, InferScratch, StackSpec, StepScratch, Tape};

fn spec() -> StackSpec {
    StackSpec {
        kind: CellKind::RnnTanh,
        input_size: 1,
        hidden_size: 1,
        num_layers: 1,
        bidirectional: false,
        bias: true,
        proj_size: 0,
        skip: 0,
    }
}

#[test]
fn a_tape_larger_than_memory_is_an_out_of_memory_error_with_its_bytes() {
    // 2^58 steps of one unit: sizes that do not overflow, and 2^60 bytes per record.
    let e = Tape::new(&spec(), 1 << 58, 1).expect_err("no machine has an exbibyte");
    assert_eq!(e.kind, ErrorKind::OutOfMemory { bytes: 1 << 60 });
    assert_eq!(
        e.to_string(),
        format!(
            "Tape::new: could not allocate {} bytes for `tape`",
            1u64 << 60
        )
    );
    let e = InferScratch::new(&spec(), 1, 1 << 58).expect_err("too big");
    assert!(matches!(e.kind, ErrorKind::OutOfMemory { .. }), "{e}");
    let e = StepScratch::new(&spec(), 1 << 60).expect_err("too big");
    assert!(matches!(e.kind, ErrorKind::OutOfMemory { .. }), "{e}");
}

#[test]
fn fallible_vectors_and_strings() {
    assert_eq!(
        mem::zeros::<f32>("op", "what", 3).expect("small"),
        vec![0.0; 3]
    );
    let e = mem::zeros::<f32>("op", "what", usize::MAX / 2).expect_err("too big");
    assert_eq!(e.kind, ErrorKind::OutOfMemory { bytes: usize::MAX });
    let v = mem::with_capacity::<u8>("op", "what", 10).expect("small");
    assert_eq!((v.len(), v.capacity()), (0, 10));
    assert_eq!(
        mem::copy_of("op", "what", &[1, 2, 3]).expect("small"),
        vec![1, 2, 3]
    );
    assert_eq!(
        mem::format("op", "what", format_args!("a{}", 1)).expect("small"),
        "a1"
    );
}
