//! One crash state outside the explorer: rebuilt from a recording, a crash point and the
//! pending pieces it persisted; written out as an image with a `state.json` that rebuilds it
//! bit for bit (`crash replay`); shrunk to a minimal set of persisted units (`--minimize`).

use std::path::Path;

use super::check::{CrashState, StateChecker};
use super::class::Class;
use super::explore::{Granularity, Options};
use super::hash::unit_hash;
use super::memo::StateKey;
use super::overlay::Overlay;
use super::record::{self, Recording};
use super::report::Found;
use super::sha256::Sha256;
use super::sweep::Sweep;
use crate::clock::Clock;
use crate::dax::workload;
use crate::dax::{Inject, Policy};
use crate::error::{Error, Result};

/// A crash state as its changed units.
pub struct OwnedState {
    unit: u64,
    units: Vec<(u64, Box<[u8]>, u128)>,
}

impl OwnedState {
    /// The state of `rec` at crash point `point` that persists, of each unit listed, its first
    /// `prefix` pending pieces (other units: only their durable pieces).
    pub fn build(rec: &Recording, base: &[u8], unit: u64, point: usize, persisted: &[(u64, u16)]) -> Result<Self> {
        if point > rec.trace.len() {
            return Err(Error::Invalid(format!("crash point {point} is past the trace ({} events)", rec.trace.len())));
        }
        let mut sweep = Sweep::new(&rec.trace, base, unit, vec![false; rec.trace.len()]);
        sweep.advance_to(point);
        let mut choice = std::collections::HashMap::new();
        for &(u, j) in persisted {
            let c = sweep
                .choice_for_prefix(u, j)
                .ok_or_else(|| Error::Invalid(format!("unit {u} has no pending stores at crash point {point}")))?;
            choice.insert(u, c);
        }
        let units = sweep
            .state_units(|u| choice.get(&u).copied().unwrap_or(0))
            .into_iter()
            .map(|(u, c)| (u, Box::<[u8]>::from(c), unit_hash(u, c)))
            .collect();
        Ok(OwnedState { unit, units })
    }

    /// The image bytes' SHA-256 (base with the state's units).
    pub fn sha256(&self, base: &[u8]) -> String {
        let mut h = Sha256::new();
        let _ = self.overlay(base).write_to(&mut h);
        h.hex()
    }

    pub fn overlay<'a>(&'a self, base: &'a [u8]) -> Overlay<'a> {
        Overlay::new(base, self.unit, self.units.iter().map(|(u, c, _)| (*u, &c[..])).collect())
    }

    /// Write the image.
    pub fn write_image(&self, base: &[u8], path: &Path) -> Result<()> {
        if path.is_dir() {
            return Err(crate::pmem::Error::IsDirectory { path: path.to_path_buf() }.into());
        }
        let io = |e: std::io::Error| Error::Invalid(format!("{}: {e}", path.display()));
        let f = std::fs::File::create(path).map_err(io)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        self.overlay(base).write_to(&mut w).map_err(io)?;
        use std::io::Write;
        w.flush().map_err(io)
    }
}

impl StateKey for OwnedState {
    fn for_each_unit(&self, f: &mut dyn FnMut(u64, u128)) {
        for (u, _, h) in &self.units {
            f(*u, *h);
        }
    }
    fn unit_size(&self) -> u64 {
        self.unit
    }
}

impl CrashState for OwnedState {
    fn units(&self) -> Vec<(u64, &[u8])> {
        self.units.iter().map(|(u, c, _)| (*u, &c[..])).collect()
    }
}

/// What `state.json` holds: everything needed to rebuild the crash image from the base image.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StateFile {
    pub e4dax_crash_state: u32,
    pub base_image: String,
    pub base_sha256: String,
    pub workload: String,
    pub policy: String,
    pub inject: Vec<String>,
    pub time: u64,
    pub granularity: String,
    pub point: usize,
    pub step: String,
    pub context: String,
    pub class: Class,
    pub detail: String,
    /// `[unit, pending pieces persisted]`.
    pub persisted: Vec<(u64, u16)>,
    pub image_sha256: String,
}

impl StateFile {
    pub fn policy(&self) -> Result<Policy> {
        Policy::from_name(&self.policy).ok_or_else(|| Error::Invalid(format!("unknown policy {:?}", self.policy)))
    }

    pub fn inject(&self) -> Result<Inject> {
        let mut i = Inject::default();
        for n in &self.inject {
            if !i.set(n) {
                return Err(Error::Invalid(format!("unknown injection {n:?}")));
            }
        }
        Ok(i)
    }

    pub fn granularity(&self) -> Result<Granularity> {
        match self.granularity.as_str() {
            "line" => Ok(Granularity::Line),
            "word8" => Ok(Granularity::Word8),
            g => Err(Error::Invalid(format!("unknown granularity {g:?}"))),
        }
    }
}

/// SHA-256 of a byte slice, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    h.hex()
}

/// Rebuild the state of `sf` from `base` (whose SHA-256 must match): returns the state and the
/// recording it came from.
pub fn rebuild(sf: &StateFile, base: &[u8]) -> Result<(OwnedState, Recording)> {
    let got = sha256_hex(base);
    if got != sf.base_sha256 {
        return Err(Error::Invalid(format!(
            "the base image is not the one the state was found on (sha256 {got}, expected {})",
            sf.base_sha256
        )));
    }
    let wl = workload::parse(&sf.workload)?;
    let rec = record::record(base, &wl, sf.policy()?, sf.inject()?, Clock::fixed(sf.time))?;
    let state = OwnedState::build(&rec, base, sf.granularity()?.unit(), sf.point, &sf.persisted)?;
    Ok((state, rec))
}

/// Shrink `found`'s persisted units, one at a time, to a set where dropping any one more unit
/// no longer gives the same class (a 1-minimal set, as delta debugging's last stage). Returns
/// the smaller list.
pub fn minimize(rec: &Recording, base: &[u8], opts: &Options, found: &Found) -> Result<Vec<(u64, u16)>> {
    let unit = opts.granularity.unit();
    let mut keep = found.persisted.clone();
    let class_of = |persisted: &[(u64, u16)]| -> Result<Class> {
        let s = OwnedState::build(rec, base, unit, found.point, persisted)?;
        let mut checker = StateChecker::new(base, &rec.model);
        checker.interrupt_replay = found.class == Class::ReplayFailure;
        Ok(checker.check(&s, found.point).class)
    };
    let mut i = 0;
    while i < keep.len() {
        let mut trial = keep.clone();
        trial.remove(i);
        if class_of(&trial)? == found.class {
            keep = trial;
        } else {
            i += 1;
        }
    }
    Ok(keep)
}

/// Write one reproducer per violation found (`report.found`): `DIR/NN-CLASS-STEP/crash.img`
/// and `state.json`; with `minimize`, the persisted units shrunk first. Fills `found.saved`.
pub fn save_reproducers(
    dir: &Path,
    ex: &mut super::Exploration,
    base: &[u8],
    base_path: &Path,
    workload_text: &str,
    opts: &Options,
    minimize_first: bool,
) -> Result<()> {
    let io = |p: &Path, e: std::io::Error| Error::Invalid(format!("{}: {e}", p.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let base_sha = sha256_hex(base);
    let base_abs = std::fs::canonicalize(base_path).unwrap_or_else(|_| base_path.to_path_buf());
    let unit = opts.granularity.unit();
    let rec = &ex.recording;
    for (i, f) in ex.report.found.iter_mut().enumerate() {
        if minimize_first {
            let smaller = minimize(rec, base, opts, f)?;
            f.persisted_before_minimize = Some(f.persisted.len());
            f.persisted = smaller;
        }
        let name = format!("{:02}-{}-{}", i + 1, f.class, f.step);
        let d = dir.join(&name);
        std::fs::create_dir_all(&d).map_err(|e| io(&d, e))?;
        let state = OwnedState::build(rec, base, unit, f.point, &f.persisted)?;
        let img = d.join("crash.img");
        state.write_image(base, &img)?;
        let sf = StateFile {
            e4dax_crash_state: 1,
            base_image: base_abs.display().to_string(),
            base_sha256: base_sha.clone(),
            workload: workload_text.to_string(),
            policy: opts.policy.name().to_string(),
            inject: opts.inject.names().into_iter().map(String::from).collect(),
            time: opts.clock.now(),
            granularity: opts.granularity.name().to_string(),
            point: f.point,
            step: f.step.clone(),
            context: f.context.clone(),
            class: f.class,
            detail: f.detail.clone(),
            persisted: f.persisted.clone(),
            image_sha256: state.sha256(base),
        };
        let json = serde_json::to_string_pretty(&sf).map_err(|e| Error::Invalid(e.to_string()))?;
        let sp = d.join("state.json");
        std::fs::write(&sp, json + "\n").map_err(|e| io(&sp, e))?;
        f.saved = Some(d.display().to_string());
    }
    Ok(())
}
