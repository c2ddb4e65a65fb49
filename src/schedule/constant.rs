//! `constant`: lr0 at every t — PyTorch `ConstantLR` with factor = 1 (i.e. no scheduler), Keras
//! a plain float learning rate.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constant {}

impl Schedule for Constant {
    fn lr(&self, lr0: f64, _t: usize) -> f64 {
        lr0
    }
}

impl Kind for Constant {
    fn build(&self, _cx: &Context) -> Result<Box<dyn Schedule>> {
        Ok(Box::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn the_rate_is_lr0_at_every_t() {
        let s = sched("kind = \"constant\"", 0.05);
        assert_table(&s, &[(0, 0.05), (1, 0.05), (999, 0.05), (usize::MAX, 0.05)]);
    }

    #[test]
    fn it_takes_no_keys() {
        let e = error("kind = \"constant\"\ngamma = 0.5", 0.1);
        assert!(e.contains("gamma"), "{e}");
    }
}
