//! Malformed forests are errors naming the node, never a panic: cycles, a child listed twice,
//! out-of-range indices, empty forests, wrong arities; a forest of 10^6 nodes (a chain 10^6
//! deep) is scheduled and run without recursion; calls with wrong sizes write nothing.

use recurrent_core::error::ErrorKind;
use recurrent_core::tree::{tree_backward, tree_forward, Forest, Schedule, TreeKind, TreeShape};
use recurrent_core::{CoreError, Sequential};

fn forest(kind: TreeKind, kids: &[&[u32]], x: &[i32], inputs: usize) -> Result<Forest, CoreError> {
    let mut offsets = vec![0u32];
    let mut children = Vec::new();
    for k in kids {
        children.extend_from_slice(k);
        offsets.push(children.len() as u32);
    }
    Forest::new(kind, &offsets, &children, x, inputs, Schedule::Levels)
}

fn refused(r: Result<Forest, CoreError>, arg: &str, words: &str) {
    let e = r.expect_err("refused");
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert_eq!(e.arg, arg, "{e}");
    assert!(e.to_string().contains(words), "{e}");
}

#[test]
fn malformed_forests_are_typed_errors_naming_the_node() {
    use TreeKind::*;
    refused(forest(ChildSumLstm, &[], &[], 1), "x_rows", "empty forest");
    refused(
        forest(ChildSumLstm, &[&[1], &[0]], &[0, 0], 1),
        "children",
        "cycle through node 0",
    );
    refused(
        forest(ChildSumLstm, &[&[], &[2], &[1]], &[0, 0, 0], 1),
        "children",
        "cycle",
    );
    refused(
        forest(ChildSumLstm, &[&[0]], &[0], 1),
        "children",
        "node 0 is its own child",
    );
    refused(
        forest(ChildSumLstm, &[&[], &[0, 0]], &[0, 0], 1),
        "children",
        "node 0 listed as a child of node 1 and of node 1",
    );
    refused(
        forest(ChildSumLstm, &[&[], &[0], &[0]], &[0, 0, 0], 1),
        "children",
        "of node 1 and of node 2",
    );
    refused(
        forest(ChildSumLstm, &[&[], &[5]], &[0, 0], 1),
        "children",
        "child 5 of node 1 (2 nodes)",
    );
    refused(
        forest(ChildSumLstm, &[&[]], &[3], 2),
        "x_rows",
        "3 at node 0 (2 rows)",
    );
    refused(
        forest(ChildSumLstm, &[&[]], &[-2], 2),
        "x_rows",
        "-2 at node 0",
    );
    refused(
        forest(Rnn, &[&[], &[0]], &[0, -1], 1),
        "children",
        "1 at node 1",
    );
    refused(
        forest(Rnn, &[&[], &[], &[0, 1]], &[0, 0, 0], 1),
        "x_rows",
        "at node 2",
    );
    refused(forest(Rnn, &[&[]], &[-1], 1), "x_rows", "at node 0");
    refused(
        forest(NaryLstm, &[&[], &[], &[], &[0, 1, 2]], &[0, 0, 0, -1], 1),
        "children",
        "3 at node 3",
    );
    refused(forest(NaryLstm, &[&[]], &[-1], 1), "x_rows", "leaf 0");
    let bad_offsets = Forest::new(ChildSumLstm, &[0, 2, 1], &[0], &[0, 0], 1, Schedule::Levels);
    refused(bad_offsets, "child_offsets", "0 then 2 at node 0");
    let short = Forest::new(ChildSumLstm, &[0], &[], &[0, 0], 1, Schedule::Levels);
    refused(short, "child_offsets", "for 2 nodes");
    let end = Forest::new(
        ChildSumLstm,
        &[0, 0, 1],
        &[0, 0],
        &[0, 0],
        1,
        Schedule::Levels,
    );
    refused(end, "child_offsets", "for 2 entries");
}

#[test]
fn a_chain_of_a_million_nodes_runs_without_recursion() {
    let n = 1_000_000usize;
    let offsets: Vec<u32> = (0..=n as u32).map(|j| j.saturating_sub(1)).collect();
    let children: Vec<u32> = (0..n as u32 - 1).collect();
    let x_rows = vec![0i32; n];
    let f = Forest::new(
        TreeKind::ChildSumLstm,
        &offsets,
        &children,
        &x_rows,
        1,
        Schedule::Levels,
    )
    .expect("forest");
    assert_eq!(f.levels, n);
    let shape = TreeShape::new(TreeKind::ChildSumLstm, 1, 1).expect("shape");
    let params = vec![0.1f32; shape.param_len()];
    let mut tape = vec![0.0; shape.tape_len(n).expect("tape")];
    let mut h = vec![0.0; n];
    tree_forward(
        &Sequential,
        shape,
        &f,
        &params,
        &[1.0],
        &mut tape,
        &mut h,
        None,
    )
    .expect("forward");
    assert!(h.iter().all(|v| v.is_finite()) && h[n - 1] != 0.0);
}

#[test]
fn wrong_sizes_are_refused_before_anything_is_written() {
    let f = forest(TreeKind::NaryLstm, &[&[], &[], &[0, 1]], &[0, 1, -1], 2).expect("forest");
    let shape = TreeShape::new(TreeKind::NaryLstm, 2, 3).expect("shape");
    let params = vec![0.1f32; shape.param_len()];
    let x = vec![0.5f32; 4];
    let mut tape = vec![7.0; shape.tape_len(3).expect("tape")];
    let mut h = vec![7.0; 9];
    let e = tree_forward(
        &Sequential,
        shape,
        &f,
        &params[1..],
        &x,
        &mut tape,
        &mut h,
        None,
    )
    .expect_err("params");
    assert_eq!(e.arg, "params");
    let e = tree_forward(
        &Sequential,
        shape,
        &f,
        &params,
        &x[1..],
        &mut tape,
        &mut h,
        None,
    )
    .expect_err("x");
    assert_eq!(e.arg, "x");
    let e = tree_forward(
        &Sequential,
        shape,
        &f,
        &params,
        &x,
        &mut tape[1..],
        &mut h,
        None,
    )
    .expect_err("tape");
    assert_eq!(e.arg, "tape");
    let e = tree_forward(
        &Sequential,
        shape,
        &f,
        &params,
        &x,
        &mut tape,
        &mut h[1..],
        None,
    )
    .expect_err("h");
    assert_eq!(e.arg, "h_out");
    assert!(tape.iter().chain(&h).all(|&v| v == 7.0), "nothing written");
    let mut grads = vec![7.0; shape.param_len()];
    let e = tree_backward(
        &Sequential,
        shape,
        &f,
        &params,
        &x,
        &mut tape,
        &h[1..],
        None,
        &mut grads,
        None,
    )
    .expect_err("gh");
    assert_eq!(e.arg, "gh");
    assert!(grads.iter().all(|&v| v == 7.0), "nothing written");
    assert!(
        TreeShape::new(TreeKind::Rnn, 2, 3).is_err(),
        "tree RNN needs I == H"
    );
    assert!(TreeKind::from_code(3).is_err());
}
