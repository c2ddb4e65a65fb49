//! The identity of a run's config: the hash that checkpoint.bin and params.bin carry, so a run
//! directory's files are only ever read back for the config they were written for.

use super::{LoadedConfig, RunConfig};

/// A hash of the resolved config minus what may change between a run and its resumption:
/// `train.epochs` (a finished run may be extended) and `[output]` (where it is written, how often
/// it checkpoints). FNV-1a over the TOML text, which serde writes in a fixed order.
pub fn config_hash(cfg: &RunConfig) -> u64 {
    let text = toml::to_string(&comparable(cfg)).unwrap_or_default();
    fnv1a(text.as_bytes())
}

/// True when a checkpoint.bin or params.bin carrying `hash` was written for `loaded`: by this
/// lrtrain (the hash of the resolved config, whose paths are absolute, so the same from any
/// working directory) or, for a run directory of lrtrain 0.1, by that version.
pub fn belongs_to(hash: u64, loaded: &LoadedConfig) -> bool {
    hash == config_hash(&loaded.config) || loaded.legacy_hash == Some(hash)
}

/// The config with the keys that may change on resume blanked out.
pub fn comparable(cfg: &RunConfig) -> RunConfig {
    let mut c = cfg.clone();
    c.train.epochs = 1;
    c.output = Default::default();
    c
}

/// FNV-1a, 64 bits: a stable hash of bytes (the same on every machine and version).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_hash_ignores_epochs_and_output_only() {
        let text = "[data]\nkind = \"synthetic_linear\"\n";
        let a: RunConfig = toml::from_str(text).unwrap();
        let mut b = a.clone();
        b.train.epochs = 99;
        b.output.dir = Some("elsewhere".into());
        assert_eq!(config_hash(&a), config_hash(&b));
        b.seed += 1;
        assert_ne!(config_hash(&a), config_hash(&b));
    }
}
