//! Exact and MinHash near-duplicate detection over short texts (instructions, seed
//! code), one namespace per language: a digest insensitive to case, spacing and
//! punctuation, and 64 MinHash values over word 3-shingles banded for lookup.
//!
//! Owns only hashing and the index; what counts as a duplicate of what (an instruction,
//! a seed) is the caller's choice of text and namespace.

use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

const NUM_HASHES: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = NUM_HASHES / BANDS;
const SHINGLE: usize = 3;
/// Estimated Jaccard similarity at or above which two texts are near-duplicates.
pub const NEAR_DUP_THRESHOLD: f64 = 0.7;

/// Lowercase alphanumeric words: what survives reformatting and punctuation changes.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Digest of a language and an instruction, insensitive to case, spacing and punctuation.
pub fn instruction_digest(lang: &str, instruction: &str) -> String {
    let mut h = Sha256::new();
    h.update(lang.as_bytes());
    h.update([0]);
    h.update(words(instruction).join(" ").as_bytes());
    hex::encode(&h.finalize()[..12])
}

/// A stable 64-bit hash of `bytes` under `seed`.
pub fn hash64(bytes: &[u8], seed: u64) -> u64 {
    // FNV-1a then a splitmix finaliser: stable across platforms and Rust versions,
    // which `DefaultHasher` does not promise.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    crate::splitmix64(h)
}

fn signature(text: &str) -> [u64; NUM_HASHES] {
    let w = words(text);
    let shingles: Vec<String> =
        if w.len() < SHINGLE { vec![w.join(" ")] } else { w.windows(SHINGLE).map(|s| s.join(" ")).collect() };
    let mut sig = [u64::MAX; NUM_HASHES];
    for s in &shingles {
        for (i, slot) in sig.iter_mut().enumerate() {
            *slot = (*slot).min(hash64(s.as_bytes(), i as u64));
        }
    }
    sig
}

fn similarity(a: &[u64; NUM_HASHES], b: &[u64; NUM_HASHES]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / NUM_HASHES as f64
}

/// Why the dedup gate refused a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicate {
    Exact,
    Near,
}

/// Exact and near-duplicate index over instructions, one namespace per language.
#[derive(Debug, Default)]
pub struct DedupIndex {
    digests: HashSet<String>,
    signatures: Vec<(String, [u64; NUM_HASHES])>,
    buckets: HashMap<(String, usize, u64), Vec<usize>>,
}

impl DedupIndex {
    /// Whether `instruction` duplicates one already in the index.
    pub fn check(&self, lang: &str, instruction: &str) -> Option<Duplicate> {
        if self.digests.contains(&instruction_digest(lang, instruction)) {
            return Some(Duplicate::Exact);
        }
        let sig = signature(instruction);
        let mut seen = HashSet::new();
        for band in 0..BANDS {
            let key = (lang.to_string(), band, band_hash(&sig, band));
            for &i in self.buckets.get(&key).into_iter().flatten() {
                if seen.insert(i) && similarity(&sig, &self.signatures[i].1) >= NEAR_DUP_THRESHOLD {
                    return Some(Duplicate::Near);
                }
            }
        }
        None
    }

    pub fn insert(&mut self, lang: &str, instruction: &str) {
        if !self.digests.insert(instruction_digest(lang, instruction)) {
            return;
        }
        let sig = signature(instruction);
        let i = self.signatures.len();
        for band in 0..BANDS {
            self.buckets.entry((lang.to_string(), band, band_hash(&sig, band))).or_default().push(i);
        }
        self.signatures.push((lang.to_string(), sig));
    }

    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty()
    }
}

fn band_hash(sig: &[u64; NUM_HASHES], band: usize) -> u64 {
    let mut bytes = Vec::with_capacity(ROWS * 8);
    for v in &sig[band * ROWS..(band + 1) * ROWS] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    hash64(&bytes, 0xba5d)
}
