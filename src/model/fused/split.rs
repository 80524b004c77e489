//! How both kernels spread a batch over threads. The batch is cut into work items of
//! (nearly) equal rows; the cut depends on the batch size only, never on the thread count.
//! Items run in contiguous runs, one run per thread, each run reusing one workspace (so a
//! thread's buffers stay warm in cache from item to item), and each item writes its own output.
//! The caller sums the outputs in item order, so which thread ran an item never changes a
//! result: a seed gives bit-identical training on any number of threads.

use rayon::prelude::*;

/// A batch's rows cut into `count` work items: item `c` starts at row `c·per + min(c, rem)`
/// and has `per` rows, one more for the first `rem` items.
#[derive(Clone, Copy, Debug)]
pub(super) struct Items {
    per: usize,
    rem: usize,
    count: usize,
}

impl Items {
    pub fn new(batch: usize, count: usize) -> Items {
        Items {
            per: batch / count,
            rem: batch % count,
            count,
        }
    }

    /// Item `c`'s first row and row count.
    #[inline]
    pub fn bounds(self, c: usize) -> (usize, usize) {
        (
            c * self.per + c.min(self.rem),
            self.per + usize::from(c < self.rem),
        )
    }
}

/// Run `pass(workspace, output, first_row, rows)` for every item; the outputs are
/// `outputs[..items.count]`, in item order. Workspaces and outputs are grown as needed and
/// kept for the next call.
pub(super) fn run<W: Default + Send, O: Default + Send>(
    workspaces: &mut Vec<W>,
    outputs: &mut Vec<O>,
    items: Items,
    pass: impl Fn(&mut W, &mut O, usize, usize) + Sync,
) {
    let n_items = items.count;
    let threads = rayon::current_num_threads().clamp(1, n_items);
    let per_thread = n_items.div_ceil(threads);
    let n_ws = n_items.div_ceil(per_thread);
    if workspaces.len() < n_ws {
        workspaces.resize_with(n_ws, W::default);
    }
    if outputs.len() < n_items {
        outputs.resize_with(n_items, O::default);
    }
    let run_items = |first: usize, ws: &mut W, run: &mut [O]| {
        for (j, out) in run.iter_mut().enumerate() {
            let (b0, nb) = items.bounds(first + j);
            pass(ws, out, b0, nb);
        }
    };
    if n_ws == 1 {
        run_items(0, &mut workspaces[0], &mut outputs[..n_items]);
    } else {
        workspaces[..n_ws]
            .par_iter_mut()
            .zip(outputs[..n_items].par_chunks_mut(per_thread))
            .enumerate()
            .for_each(|(c, (ws, run))| run_items(c * per_thread, ws, run));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_cover_the_batch_in_order_without_gaps() {
        for (batch, count) in [(1024, 4), (1000, 3), (7, 7), (5, 1), (300, 2)] {
            let items = Items::new(batch, count);
            let mut next = 0;
            for c in 0..count {
                let (b0, nb) = items.bounds(c);
                assert_eq!(b0, next, "batch {batch} items {count}");
                assert!(nb >= batch / count && nb <= batch / count + 1);
                next = b0 + nb;
            }
            assert_eq!(next, batch);
        }
    }

    #[test]
    fn every_item_runs_once_whatever_the_threads() {
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (mut ws, mut outs) = (Vec::<u8>::new(), Vec::<(usize, usize)>::new());
            pool.install(|| {
                run(&mut ws, &mut outs, Items::new(10, 4), |_, o, b0, nb| {
                    *o = (b0, nb)
                })
            });
            assert_eq!(outs, vec![(0, 3), (3, 3), (6, 2), (8, 2)]);
        }
    }
}
