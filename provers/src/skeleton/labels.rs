//! Which label each work item gets: a deterministic function of (seed, index) that hits
//! the requested mix exactly over every block of items, and stays mixed inside each shard.

use crate::prover::Label;

/// A label mix such as `balanced` (1:1:1) or `true=2,false=1,uncertain=1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelMix {
    /// One block: each label repeated by its weight.
    block: Vec<Label>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}; write `balanced` or weights like `true=2,false=1,uncertain=1`")]
pub struct LabelMixError(String);

impl LabelMix {
    pub fn balanced() -> LabelMix {
        LabelMix { block: vec![Label::True, Label::False, Label::Uncertain] }
    }

    pub fn parse(s: &str) -> Result<LabelMix, LabelMixError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("balanced") {
            return Ok(LabelMix::balanced());
        }
        let mut weights = [0u32; 3];
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, w) =
                part.split_once('=').ok_or_else(|| LabelMixError(format!("`{part}` has no `=`")))?;
            let slot = match name.trim().to_ascii_lowercase().as_str() {
                "true" => 0,
                "false" => 1,
                "uncertain" | "unknown" => 2,
                other => return Err(LabelMixError(format!("unknown label `{other}`"))),
            };
            weights[slot] = w.trim().parse::<u32>().ok().filter(|w| *w <= 100).ok_or_else(|| {
                LabelMixError(format!("weight `{}` is not a whole number 0..=100", w.trim()))
            })?;
        }
        let labels = [Label::True, Label::False, Label::Uncertain];
        // Interleaved, so that any prefix of a block is mixed too.
        let mut block = Vec::new();
        let mut left = weights;
        while left.iter().any(|w| *w > 0) {
            for (i, w) in left.iter_mut().enumerate() {
                if *w > 0 {
                    block.push(labels[i]);
                    *w -= 1;
                }
            }
        }
        if block.is_empty() {
            return Err(LabelMixError("every weight is 0".into()));
        }
        Ok(LabelMix { block })
    }

    /// Items per block: every block holds the mix exactly.
    pub fn block_len(&self) -> u64 {
        self.block.len() as u64
    }

    /// The label of item `index`. Blocks of `len` consecutive items hold the exact mix;
    /// each block is rotated by a hash of (seed, block), so a shard that takes every
    /// `len`-th item still sees every label.
    pub fn label_for(&self, seed: u64, index: u64) -> Label {
        let len = self.block.len() as u64;
        let (block, pos) = (index / len, index % len);
        let rotation = mix(seed ^ block.wrapping_mul(0x9E37_79B9_7F4A_7C15)) % len;
        self.block[((pos + rotation) % len) as usize]
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn counts(mix: &LabelMix, seed: u64, items: impl Iterator<Item = u64>) -> [usize; 3] {
        let mut c = [0; 3];
        for i in items {
            c[mix.label_for(seed, i) as usize] += 1;
        }
        c
    }

    #[test]
    fn balanced_is_exact_over_blocks_and_mixed_per_shard() {
        let m = LabelMix::balanced();
        assert_eq!(counts(&m, 7, 0..300), [100, 100, 100]);
        for shard in 0..3 {
            let c = counts(&m, 7, (shard..300).step_by(3));
            assert!(c.iter().all(|&n| n > 20), "shard {shard}: {c:?}");
        }
    }

    #[test]
    fn weights_parse_and_apply() {
        let m = LabelMix::parse("true=2,false=1,uncertain=1").unwrap();
        assert_eq!(counts(&m, 1, 0..400), [200, 100, 100]);
        assert_eq!(LabelMix::parse("Balanced").unwrap(), LabelMix::balanced());
        assert_eq!(counts(&LabelMix::parse("uncertain=1").unwrap(), 3, 0..10), [0, 0, 10]);
        for bad in ["true", "maybe=1", "true=x", "true=0,false=0", "true=1000"] {
            assert!(LabelMix::parse(bad).is_err(), "{bad}");
        }
    }
}
