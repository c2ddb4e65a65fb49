//! `checkpoint.bin` and `params.bin`: what a run needs to go on exactly where it stopped, and the
//! final parameters for `lrtrain eval`.
//!
//! File layout (all integers and floats little-endian):
//!
//! ```text
//! magic     8 bytes   "LRTRCKPT" (checkpoint) or "LRTRPARM" (parameters)
//! version   u32       FORMAT_VERSION
//! length    u64       bytes in the body
//! body      length bytes
//! crc32     u32       CRC-32 (IEEE) of everything before it
//! ```
//!
//! Checkpoint body: `config_hash u64, epochs_done u64, step u64, optimizer_steps u64`, the
//! parameters (`u64 n, n × f32`), the optimizer's state buffers (`u64 count`, then each as
//! `u64 n, n × f32`, in the order its `state_buffers` documents), the schedule's state (`u64 n,
//! n × f64`: plateau counters, grad_norm history), then the optimizer's scalar state (`u64 n, n ×
//! f64`: ASGD's η and μ, the schedule-free averaging weights, Prodigy's d; added in 0.2 inside
//! version 2, and a body that ends before it, as 0.1 wrote them, reads as no scalars — which
//! every optimizer of 0.1 had), then (version 3) early stopping's counters
//! (`u64 n, n × f64`, n = 0 without it) and best parameters (`u64 n, n × f32`, n = 0 unless
//! `restore_best`), the EMA of the parameters (`u64 n, n × f32`, n = 0 without `[train] ema`)
//! and its update count (`u64`). The metrics rows are not repeated here (that
//! made every checkpoint grow with the run): metrics.csv is written before the checkpoint, so it
//! always holds at least `epochs_done` rows, and resuming cuts it back to exactly those.
//! Parameters body: `config_hash u64`, then the parameters as above.
//!
//! No generator state is stored: every random choice is a pure function of the seed and a name
//! (`init`, `shuffle/{epoch}`, the `random` schedule's `(seed, t)`), and a checkpoint always lies
//! on an epoch boundary, so the restored step and epoch counters give the same draws.

use std::path::Path;

use anyhow::{Result, bail};

use crate::error::UsageError;
use crate::train::TrainState;

pub const CHECKPOINT_FILE: &str = "checkpoint.bin";
pub const PARAMS_FILE: &str = "params.bin";
/// The averaged parameters of `[train] ema`, in params.bin's format.
pub const PARAMS_EMA_FILE: &str = "params_ema.bin";
/// 2: the metrics rows left the checkpoint (they are read back from metrics.csv).
/// 3: the checkpoint body ends with early stopping's state; version 2 files are still read.
pub const FORMAT_VERSION: u32 = 3;
/// The oldest version this lrtrain reads.
const OLDEST_VERSION: u32 = 2;
const CHECKPOINT_MAGIC: &[u8; 8] = b"LRTRCKPT";
const PARAMS_MAGIC: &[u8; 8] = b"LRTRPARM";
const HEADER: usize = 8 + 4 + 8;

#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub config_hash: u64,
    pub state: TrainState,
}

impl Checkpoint {
    pub fn encode(&self) -> Vec<u8> {
        let s = &self.state;
        let mut w = Writer::default();
        w.u64(self.config_hash);
        w.u64(s.epochs_done);
        w.u64(s.step);
        w.u64(s.optimizer_steps);
        w.f32s(&s.params);
        w.u64(s.optimizer_buffers.len() as u64);
        for b in &s.optimizer_buffers {
            w.f32s(b);
        }
        w.u64(s.schedule.len() as u64);
        for &x in &s.schedule {
            w.f64(x);
        }
        w.u64(s.optimizer_scalars.len() as u64);
        for &x in &s.optimizer_scalars {
            w.f64(x);
        }
        w.u64(s.early_stopping.len() as u64);
        for &x in &s.early_stopping {
            w.f64(x);
        }
        w.f32s(&s.best_params);
        w.f32s(&s.ema);
        w.u64(s.ema_updates);
        container(CHECKPOINT_MAGIC, &w.0)
    }

    pub fn decode(bytes: &[u8]) -> Result<Checkpoint> {
        let mut r = Reader(open_container(CHECKPOINT_MAGIC, bytes)?);
        let config_hash = r.u64()?;
        let epochs_done = r.u64()?;
        let step = r.u64()?;
        let optimizer_steps = r.u64()?;
        let params = r.f32s()?;
        let count = r.len(8)?;
        let optimizer_buffers = (0..count).map(|_| r.f32s()).collect::<Result<_>>()?;
        let n = r.len(8)?;
        let schedule = (0..n).map(|_| r.f64()).collect::<Result<_>>()?;
        // Absent in checkpoints written by 0.1 (no optimizer of 0.1 had scalar state).
        let optimizer_scalars = if r.0.is_empty() {
            Vec::new()
        } else {
            let n = r.len(8)?;
            (0..n).map(|_| r.f64()).collect::<Result<_>>()?
        };
        // Version 2 ends here: it was written without early stopping or an EMA.
        let (early_stopping, best_params, ema, ema_updates) = if r.0.is_empty() {
            (Vec::new(), Vec::new(), Vec::new(), 0)
        } else {
            let n = r.len(8)?;
            let counters = (0..n).map(|_| r.f64()).collect::<Result<_>>()?;
            (counters, r.f32s()?, r.f32s()?, r.u64()?)
        };
        r.end()?;
        Ok(Checkpoint {
            config_hash,
            state: TrainState {
                epochs_done,
                step,
                optimizer_steps,
                params,
                optimizer_buffers,
                schedule,
                optimizer_scalars,
                early_stopping,
                best_params,
                ema,
                ema_updates,
            },
        })
    }

    /// Reads and checks a checkpoint file; a missing, truncated, corrupted or foreign file is a
    /// usage error (exit 2) that says which.
    pub fn read(path: &Path) -> Result<Checkpoint> {
        let bytes = read_file(path)?;
        Checkpoint::decode(&bytes).map_err(|e| bad_file(path, e))
    }
}

/// `params.bin`: the config hash and the final parameters.
pub fn encode_params(config_hash: u64, params: &[f32]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u64(config_hash);
    w.f32s(params);
    container(PARAMS_MAGIC, &w.0)
}

/// Reads `params.bin`: (config hash, parameters).
pub fn read_params(path: &Path) -> Result<(u64, Vec<f32>)> {
    let bytes = read_file(path)?;
    let decode = || -> Result<(u64, Vec<f32>)> {
        let mut r = Reader(open_container(PARAMS_MAGIC, &bytes)?);
        let hash = r.u64()?;
        let params = r.f32s()?;
        r.end()?;
        Ok((hash, params))
    };
    decode().map_err(|e| bad_file(path, e))
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        anyhow::Error::new(UsageError(format!(
            "{}: cannot read the file: {e}",
            path.display()
        )))
    })
}

fn bad_file(path: &Path, e: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(UsageError(format!("{}: {e:#}", path.display())))
}

fn container(magic: &[u8; 8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + body.len() + 4);
    out.extend_from_slice(magic);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks magic, version, length and checksum; returns the body.
fn open_container<'a>(magic: &[u8; 8], bytes: &'a [u8]) -> Result<&'a [u8]> {
    let what = if magic == CHECKPOINT_MAGIC {
        "an lrtrain checkpoint"
    } else {
        "an lrtrain parameters file"
    };
    if bytes.len() < 8 || &bytes[..8] != magic {
        bail!("not {what} (expected the magic bytes {:?})", str_of(magic));
    }
    if bytes.len() < HEADER + 4 {
        bail!(
            "truncated: {} bytes, shorter than the {}-byte header",
            bytes.len(),
            HEADER + 4
        );
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&version) {
        bail!(
            "format version {version}; this lrtrain reads versions {OLDEST_VERSION} to {FORMAT_VERSION} (written by another lrtrain version?)"
        );
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
    let have = (bytes.len() - HEADER - 4) as u64;
    if len != have {
        bail!(
            "truncated or damaged: the header announces a {len}-byte body, the file holds {have}"
        );
    }
    let (data, tail) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes(tail.try_into().unwrap_or_default());
    let actual = crc32fast::hash(data);
    if stored != actual {
        bail!("damaged: checksum mismatch (stored {stored:08x}, computed {actual:08x})");
    }
    Ok(&data[HEADER..])
}

fn str_of(magic: &[u8; 8]) -> String {
    String::from_utf8_lossy(magic).into_owned()
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn f32s(&mut self, xs: &[f32]) {
        self.u64(xs.len() as u64);
        self.0.reserve(xs.len() * 4);
        for &x in xs {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
}

/// Reads the body; every length is checked against what is left before anything is allocated.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if n > self.0.len() {
            bail!("the body ends early (damaged or truncated)");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.take(8)?.try_into()?))
    }
    /// A count of items of at least `item_bytes` each that must fit in what is left.
    fn len(&mut self, item_bytes: usize) -> Result<usize> {
        let n = self.u64()?;
        if n > (self.0.len() / item_bytes.max(1)) as u64 {
            bail!("a section announces {n} items, more than the body holds (damaged)");
        }
        Ok(n as usize)
    }
    fn f32s(&mut self) -> Result<Vec<f32>> {
        let n = self.len(4)?;
        Ok(self
            .take(n * 4)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    fn end(&self) -> Result<()> {
        if !self.0.is_empty() {
            bail!("{} unexpected bytes after the body (damaged)", self.0.len());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            config_hash: 0xdead_beef,
            state: TrainState {
                epochs_done: 2,
                step: 500,
                optimizer_steps: 500,
                params: vec![0.5, -1.25, f32::MIN_POSITIVE],
                optimizer_buffers: vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]],
                schedule: vec![0.01, f64::INFINITY, 3.0, 0.0],
                optimizer_scalars: vec![0.1f32 as f64, 1.0 / 3.0],
                early_stopping: vec![0.25, 1.0, 1.0, 0.0, -1.0],
                best_params: vec![0.75, 2.0, -3.0],
                ema: vec![0.5, -1.0, 0.25],
                ema_updates: 7,
            },
        }
    }

    #[test]
    fn a_checkpoint_of_0_1_without_optimizer_scalars_reads_as_none() {
        // 0.1's body ended with the schedule's state.
        let s = sample().state;
        let mut w = Writer::default();
        for x in [7, s.epochs_done, s.step, s.optimizer_steps] {
            w.u64(x);
        }
        w.f32s(&s.params);
        w.u64(s.optimizer_buffers.len() as u64);
        for b in &s.optimizer_buffers {
            w.f32s(b);
        }
        w.u64(s.schedule.len() as u64);
        for &x in &s.schedule {
            w.f64(x);
        }
        let old = Checkpoint::decode(&container(CHECKPOINT_MAGIC, &w.0)).unwrap();
        assert_eq!(old.config_hash, 7);
        assert_eq!(old.state.optimizer_scalars, Vec::<f64>::new());
        assert_eq!(old.state.schedule, s.schedule);
    }

    #[test]
    fn a_version_2_checkpoint_is_still_read_without_early_stopping_state() {
        let mut c = sample();
        c.state.early_stopping.clear();
        c.state.best_params.clear();
        c.state.ema.clear();
        c.state.ema_updates = 0;
        let v3 = c.encode();
        // Version 2's body is version 3's without the three empty trailing lists and the
        // update count (4 × u64 0).
        let body = &v3[HEADER..v3.len() - 4 - 32];
        let mut v2 = CHECKPOINT_MAGIC.to_vec();
        v2.extend_from_slice(&2u32.to_le_bytes());
        v2.extend_from_slice(&(body.len() as u64).to_le_bytes());
        v2.extend_from_slice(body);
        let crc = crc32fast::hash(&v2);
        v2.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(Checkpoint::decode(&v2).unwrap(), c);
    }

    #[test]
    fn a_checkpoint_survives_the_round_trip_bit_for_bit() {
        let c = sample();
        assert_eq!(Checkpoint::decode(&c.encode()).unwrap(), c);
    }

    #[test]
    fn a_truncated_checkpoint_is_refused_at_every_length() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            let err = Checkpoint::decode(&bytes[..n]).unwrap_err();
            let msg = format!("{err:#}");
            assert!(
                msg.contains("truncated") || msg.contains("not an lrtrain checkpoint"),
                "{n}: {msg}"
            );
        }
    }

    #[test]
    fn a_flipped_bit_anywhere_is_caught() {
        let bytes = sample().encode();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(Checkpoint::decode(&b).is_err(), "byte {i}");
        }
    }

    #[test]
    fn a_foreign_file_or_another_version_is_refused_by_name() {
        let err = Checkpoint::decode(b"PK\x03\x04 some zip file, not ours").unwrap_err();
        assert!(
            format!("{err}").contains("not an lrtrain checkpoint"),
            "{err}"
        );
        let mut b = sample().encode();
        b[8] = 9;
        let err = Checkpoint::decode(&b).unwrap_err();
        assert!(format!("{err}").contains("format version 9"), "{err}");
        let p = encode_params(1, &[1.0]);
        assert!(Checkpoint::decode(&p).is_err());
    }
}
