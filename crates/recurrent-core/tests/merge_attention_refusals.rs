//! The attention decoder runs its own step loop over `advance()`: it carries neither a skip
//! connection's rings nor a projection's P-wide state, so `AttnSpec::validate` refuses both,
//! naming the stack field at fault, while the same stack without them is accepted.

use recurrent_core::rnn::attention::{AttnSpec, Score};
use recurrent_core::rnn::{CellKind, StackSpec};

fn attn(kind: CellKind, skip: usize, proj_size: usize) -> AttnSpec {
    let (h, e) = (6, 3);
    AttnSpec {
        stack: StackSpec {
            kind,
            input_size: h + e,
            hidden_size: h,
            num_layers: 2,
            bidirectional: false,
            bias: true,
            proj_size,
            skip,
        },
        embed: e,
        score: Score::Additive,
        attn_size: 4,
    }
}

#[test]
fn an_attention_stack_with_a_skip_connection_is_refused_naming_stack_skip() {
    // The stack alone is valid (a plain RNN with delay 3), so the refusal is the decoder's.
    attn(CellKind::RnnTanh, 3, 0)
        .stack
        .validate()
        .expect("a valid skip stack");
    attn(CellKind::RnnTanh, 0, 0)
        .validate()
        .expect("the same stack without skip");
    let err = attn(CellKind::RnnTanh, 3, 0)
        .validate()
        .expect_err("skip must be refused");
    assert_eq!(err.arg, "stack.skip");
}

#[test]
fn an_attention_stack_with_a_projection_is_refused_naming_stack_proj_size() {
    attn(CellKind::Lstm, 0, 2)
        .stack
        .validate()
        .expect("a valid projected stack");
    attn(CellKind::Lstm, 0, 0)
        .validate()
        .expect("the same stack without projection");
    let err = attn(CellKind::Lstm, 0, 2)
        .validate()
        .expect_err("proj_size must be refused");
    assert_eq!(err.arg, "stack.proj_size");
}

#[test]
fn skip_and_proj_size_stay_refused_on_the_other_kinds() {
    // skip is for plain RNNs, proj_size for the LSTM family: each is refused on the other.
    for kind in [CellKind::Lstm, CellKind::Gru] {
        let err = attn(kind, 3, 0)
            .stack
            .validate()
            .expect_err("skip off plain RNNs");
        assert_eq!(err.arg, "skip", "{kind:?}");
    }
    for kind in [CellKind::RnnTanh, CellKind::Gru] {
        let err = attn(kind, 0, 2)
            .stack
            .validate()
            .expect_err("proj_size off LSTMs");
        assert_eq!(err.arg, "proj_size", "{kind:?}");
    }
}
