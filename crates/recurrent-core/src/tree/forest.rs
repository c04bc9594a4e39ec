//! A checked forest and its level schedule.
//!
//! The nodes come as a child list per node (CSR: `child_offsets[j]..child_offsets[j+1]` index
//! `children`) and an input row per node (`-1`: none). Any node order is accepted: the levels
//! come from a topological sort (Kahn's), which also finds cycles. Every rule is checked before
//! anything is computed, with an error naming the node.

use crate::error::{CoreError, CoreResult};
use crate::mem;

use super::kind::TreeKind;

const OP: &str = "tree_forest";

/// How nodes are grouped into passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// All nodes whose children are done, together (the fast path).
    Levels,
    /// One node per pass, as a node-at-a-time loop computes it (for benchmarks).
    NodeAtATime,
}

/// A validated forest in slot order (by level, then node index), with its passes.
#[derive(Debug)]
pub struct Forest {
    /// Number of nodes.
    pub nodes: usize,
    /// slot -> node.
    pub(super) order: Vec<u32>,
    /// Pass p is slots `pass_start[p]..pass_start[p+1]`.
    pub(super) pass_start: Vec<u32>,
    /// The kids of slot s are `kids[kid_start[s]..kid_start[s+1]]` (slots, in listed order).
    pub(super) kid_start: Vec<u32>,
    pub(super) kids: Vec<u32>,
    /// Input row of each slot, `-1` for none.
    pub(super) x_row: Vec<i32>,
    /// Largest pass (nodes) and largest number of kids of one pass.
    pub(super) max_pass: usize,
    pub(super) max_pass_kids: usize,
    /// Number of levels (the height of the tallest tree, plus one).
    pub levels: usize,
    /// Rows of `x` the inputs index.
    pub num_inputs: usize,
}

fn bad(arg: &'static str, expected: &'static str, got: std::fmt::Arguments<'_>) -> CoreError {
    CoreError::new(OP, arg, expected, got)
}

impl Forest {
    /// Checks a forest for `kind` whose inputs index `num_inputs` rows, and schedules it.
    pub fn new(
        kind: TreeKind,
        child_offsets: &[u32],
        children: &[u32],
        x_rows: &[i32],
        num_inputs: usize,
        schedule: Schedule,
    ) -> CoreResult<Forest> {
        let n = x_rows.len();
        if n == 0 {
            return Err(bad(
                "x_rows",
                "at least one node",
                format_args!("an empty forest"),
            ));
        }
        if n >= u32::MAX as usize {
            return Err(bad(
                "x_rows",
                "fewer than 2^32 - 1 nodes",
                format_args!("{n}"),
            ));
        }
        if child_offsets.len() != n + 1 {
            return Err(bad(
                "child_offsets",
                "one offset per node plus one",
                format_args!("{} for {n} nodes", child_offsets.len()),
            ));
        }
        if child_offsets[0] != 0 || child_offsets[n] as usize != children.len() {
            return Err(bad(
                "child_offsets",
                "0 first and the number of child entries last",
                format_args!(
                    "{} .. {} for {} entries",
                    child_offsets[0],
                    child_offsets[n],
                    children.len()
                ),
            ));
        }
        let mut parent = mem::zeros::<u32>(OP, "parents", n)?;
        for j in 0..n {
            let (a, b) = (child_offsets[j], child_offsets[j + 1]);
            if a > b || b as usize > children.len() {
                return Err(bad(
                    "child_offsets",
                    "non-decreasing offsets up to the number of child entries",
                    format_args!("{a} then {b} at node {j}"),
                ));
            }
            let count = (b - a) as usize;
            let x = x_rows[j];
            if x < -1 || (x >= 0 && x as usize >= num_inputs) {
                return Err(bad(
                    "x_rows",
                    "-1 (no input) or a row of x",
                    format_args!("{x} at node {j} ({num_inputs} rows)"),
                ));
            }
            check_arity(kind, j, count, x)?;
            for &k in &children[a as usize..b as usize] {
                if k as usize >= n {
                    return Err(bad(
                        "children",
                        "node indices below the number of nodes",
                        format_args!("child {k} of node {j} ({n} nodes)"),
                    ));
                }
                if k as usize == j {
                    return Err(bad(
                        "children",
                        "a forest without cycles",
                        format_args!("node {j} is its own child"),
                    ));
                }
                // parent + 1, so 0 means none.
                let p = &mut parent[k as usize];
                if *p != 0 {
                    return Err(bad(
                        "children",
                        "each node the child of at most one node, once",
                        format_args!(
                            "node {k} listed as a child of node {} and of node {j}",
                            *p - 1
                        ),
                    ));
                }
                *p = j as u32 + 1;
            }
        }
        let level = levels_of(child_offsets, children, &parent)?;
        let mut f = build(n, child_offsets, children, x_rows, &level, schedule)?;
        f.num_inputs = num_inputs;
        Ok(f)
    }
}

fn check_arity(kind: TreeKind, j: usize, count: usize, x: i32) -> CoreResult<()> {
    match kind {
        TreeKind::Rnn if count != 0 && count != 2 => Err(bad(
            "children",
            "0 or 2 children per node (binary tree RNN)",
            format_args!("{count} at node {j}"),
        )),
        TreeKind::Rnn if (count == 0) != (x >= 0) => Err(bad(
            "x_rows",
            "an input row at leaves and -1 at internal nodes (tree RNN)",
            format_args!("{x} at node {j} with {count} children"),
        )),
        TreeKind::NaryLstm if count > 2 => Err(bad(
            "children",
            "at most 2 children per node (N-ary Tree-LSTM, N = 2)",
            format_args!("{count} at node {j}"),
        )),
        TreeKind::NaryLstm if count == 0 && x < 0 => Err(bad(
            "x_rows",
            "an input row at every leaf (N-ary Tree-LSTM)",
            format_args!("-1 at leaf {j}"),
        )),
        _ => Ok(()),
    }
}

/// Level of every node (Kahn's algorithm from the leaves up); an error names a node on a
/// cycle when some nodes never become ready.
fn levels_of(offsets: &[u32], children: &[u32], parent: &[u32]) -> CoreResult<Vec<u32>> {
    let n = parent.len();
    let mut pending = mem::zeros::<u32>(OP, "pending counts", n)?;
    let mut level = mem::zeros::<u32>(OP, "levels", n)?;
    let mut queue = mem::with_capacity::<u32>(OP, "ready queue", n)?;
    for j in 0..n {
        pending[j] = offsets[j + 1] - offsets[j];
        if pending[j] == 0 {
            queue.push(j as u32);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let j = queue[head] as usize;
        head += 1;
        if parent[j] != 0 {
            let p = (parent[j] - 1) as usize;
            level[p] = level[p].max(level[j] + 1);
            pending[p] -= 1;
            if pending[p] == 0 {
                queue.push(p as u32);
            }
        }
    }
    if queue.len() < n {
        let stuck = (0..n).find(|&j| pending[j] != 0).unwrap_or(0);
        return Err(bad(
            "children",
            "a forest without cycles",
            format_args!(
                "a cycle through node {stuck} (its children never finish; first child {})",
                children[offsets[stuck] as usize]
            ),
        ));
    }
    Ok(level)
}

fn build(
    n: usize,
    offsets: &[u32],
    children: &[u32],
    x_rows: &[i32],
    level: &[u32],
    schedule: Schedule,
) -> CoreResult<Forest> {
    let levels = level.iter().copied().max().unwrap_or(0) as usize + 1;
    // Counting sort by level, stable in node index.
    let mut count = mem::zeros::<u32>(OP, "level sizes", levels + 1)?;
    for &l in level {
        count[l as usize + 1] += 1;
    }
    for l in 0..levels {
        count[l + 1] += count[l];
    }
    let level_start = mem::copy_of(OP, "level starts", &count)?;
    let mut order = mem::zeros::<u32>(OP, "slot order", n)?;
    let mut slot = mem::zeros::<u32>(OP, "node slots", n)?;
    for j in 0..n {
        let s = &mut count[level[j] as usize];
        order[*s as usize] = j as u32;
        slot[j] = *s;
        *s += 1;
    }
    let mut kid_start = mem::with_capacity::<u32>(OP, "kid offsets", n + 1)?;
    let mut kids = mem::with_capacity::<u32>(OP, "kids", children.len())?;
    let mut x_row = mem::with_capacity::<i32>(OP, "input rows", n)?;
    kid_start.push(0);
    for &j in &order {
        let j = j as usize;
        kids.extend(
            children[offsets[j] as usize..offsets[j + 1] as usize]
                .iter()
                .map(|&k| slot[k as usize]),
        );
        kid_start.push(kids.len() as u32);
        x_row.push(x_rows[j]);
    }
    let pass_start = match schedule {
        Schedule::Levels => level_start,
        Schedule::NodeAtATime => {
            let mut p = mem::with_capacity::<u32>(OP, "passes", n + 1)?;
            p.extend(0..=n as u32);
            p
        }
    };
    let (mut max_pass, mut max_pass_kids) = (0, 0);
    for w in pass_start.windows(2) {
        max_pass = max_pass.max((w[1] - w[0]) as usize);
        max_pass_kids =
            max_pass_kids.max((kid_start[w[1] as usize] - kid_start[w[0] as usize]) as usize);
    }
    Ok(Forest {
        nodes: n,
        order,
        pass_start,
        kid_start,
        kids,
        x_row,
        max_pass,
        max_pass_kids,
        levels,
        num_inputs: 0,
    })
}

impl Forest {
    /// Number of passes (levels, or nodes for [`Schedule::NodeAtATime`]).
    pub fn passes(&self) -> usize {
        self.pass_start.len() - 1
    }

    /// Slots of pass `p`.
    pub(super) fn pass(&self, p: usize) -> (usize, usize) {
        (self.pass_start[p] as usize, self.pass_start[p + 1] as usize)
    }

    /// Kid entries of slots `s0..s1` (contiguous, since the CSR is in slot order).
    pub(super) fn kid_range(&self, s0: usize, s1: usize) -> (usize, usize) {
        (self.kid_start[s0] as usize, self.kid_start[s1] as usize)
    }

    /// Kid slots of slot `s`.
    pub(super) fn kids_of(&self, s: usize) -> &[u32] {
        &self.kids[self.kid_start[s] as usize..self.kid_start[s + 1] as usize]
    }
}
