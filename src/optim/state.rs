//! What every optimizer's `impl Optimizer` repeats: the step counter, the per-parameter state
//! buffers for checkpoints, and the length check at the top of `step`. One definition here, so a
//! new optimizer writes only its update rule and the list of its buffers.

/// Panics unless `params` and `grads` have the same length: both come from the trainer, sized
/// once from the layout, so a mismatch is a bug in lrtrain, never a user's input.
#[inline(always)]
pub(crate) fn check_lengths(params: &[f32], grads: &[f32]) {
    assert_eq!(
        params.len(),
        grads.len(),
        "parameters and gradients differ in length"
    );
}

/// `step_count` and `set_step_count` of [`Optimizer`](super::Optimizer) over a `steps: u64`
/// field. Written inside an `impl Optimizer for …` block.
macro_rules! step_counter {
    () => {
        fn step_count(&self) -> u64 {
            self.steps
        }

        fn set_step_count(&mut self, steps: u64) {
            self.steps = steps;
        }
    };
}
pub(crate) use step_counter;

/// `state_buffers` and `state_buffers_mut` of [`Optimizer`](super::Optimizer) for an optimizer
/// whose state is always the same `Vec<f32>` fields, in the order given (the checkpoint's
/// order). Written inside an `impl Optimizer for …` block.
macro_rules! state_buffers {
    ($($field:ident),+ $(,)?) => {
        fn state_buffers(&self) -> Vec<&[f32]> {
            vec![$(self.$field.as_slice()),+]
        }

        fn state_buffers_mut(&mut self) -> Vec<&mut [f32]> {
            vec![$(self.$field.as_mut_slice()),+]
        }
    };
}
pub(crate) use state_buffers;

#[cfg(test)]
mod tests {
    use super::super::Optimizer;
    use super::*;

    struct Two {
        steps: u64,
        a: Vec<f32>,
        b: Vec<f32>,
    }

    impl Optimizer for Two {
        fn step(&mut self, params: &mut [f32], grads: &[f32], _lr: f32) {
            check_lengths(params, grads);
            self.steps += 1;
        }
        step_counter!();
        state_buffers!(a, b);
    }

    #[test]
    fn the_macros_expose_the_counter_and_the_buffers_in_the_order_listed() {
        let mut o = Two {
            steps: 0,
            a: vec![1.0, 2.0],
            b: vec![3.0],
        };
        o.step(&mut [0.0], &[0.0], 0.1);
        assert_eq!(o.step_count(), 1);
        o.set_step_count(7);
        assert_eq!(o.steps, 7);
        assert_eq!(o.state_buffers(), vec![&[1.0, 2.0][..], &[3.0][..]]);
        o.state_buffers_mut()[1][0] = 9.0;
        assert_eq!(o.b, vec![9.0]);
    }

    #[test]
    #[should_panic(expected = "parameters and gradients differ in length")]
    fn a_length_mismatch_is_a_bug_that_panics() {
        check_lengths(&[0.0; 2], &[0.0; 3]);
    }
}
