//! Fault injection for the holder-key signature (key `81`, PROTOCOL.md §7.1): a card that
//! answers INTERNAL AUTHENTICATE with a signature of the wrong length or a wrong signature, to
//! test how the host treats a misbehaving card. A real CIE never does this.

use std::sync::{Arc, Mutex};

/// A faulty answer to the holder-key signature (key `81`), for testing how the host treats a
/// card that misbehaves (fault injection; a real CIE never does this).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignFault {
    /// Answer correctly.
    #[default]
    None,
    /// Answer with exactly this many bytes: the correct signature cut short, or followed by
    /// its own bytes again.
    Length(usize),
    /// A wrong signature of the right length (one bit of the correct one flipped).
    WrongSignature,
}

impl SignFault {
    /// Applies the fault to a correct signature.
    pub(super) fn apply(self, sig: Vec<u8>) -> Vec<u8> {
        match self {
            SignFault::None => sig,
            SignFault::Length(n) => sig.iter().copied().cycle().take(n).collect(),
            SignFault::WrongSignature => {
                let mut sig = sig;
                let middle = sig.len() / 2;
                if let Some(b) = sig.get_mut(middle) {
                    *b ^= 0x10;
                }
                sig
            }
        }
    }
}

/// The text form used on the simulator's control channel: `none`, `length:N`, `wrong`.
impl std::fmt::Display for SignFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignFault::None => f.write_str("none"),
            SignFault::Length(n) => write!(f, "length:{n}"),
            SignFault::WrongSignature => f.write_str("wrong"),
        }
    }
}

impl std::str::FromStr for SignFault {
    type Err = String;

    fn from_str(s: &str) -> Result<SignFault, String> {
        match s {
            "none" => Ok(SignFault::None),
            "wrong" => Ok(SignFault::WrongSignature),
            _ => s
                .strip_prefix("length:")
                .and_then(|n| n.parse().ok())
                .map(SignFault::Length)
                .ok_or_else(|| format!("bad signature fault {s:?} (none, length:N, wrong)")),
        }
    }
}

/// A shared switch for [`SignFault`]: clones set the fault of the same card, from any thread
/// (the `cie-sim` binary's control channel).
#[derive(Clone, Debug, Default)]
pub struct SignFaultSwitch(Arc<Mutex<SignFault>>);

impl SignFaultSwitch {
    /// Sets the fault for every following key-`81` signature.
    pub fn set(&self, fault: SignFault) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = fault;
    }

    /// The fault in force.
    pub fn get(&self) -> SignFault {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_faults() {
        let sig: Vec<u8> = (0..=255).collect();
        assert_eq!(SignFault::None.apply(sig.clone()), sig);
        let long = SignFault::Length(300).apply(sig.clone());
        assert_eq!((long.len(), &long[..256], &long[256..]), (300, &sig[..], &sig[..44]));
        assert_eq!(SignFault::Length(255).apply(sig.clone()), sig[..255]);
        let wrong = SignFault::WrongSignature.apply(sig.clone());
        assert_eq!(wrong.len(), 256);
        assert_eq!(wrong.iter().zip(&sig).filter(|(a, b)| a != b).count(), 1);
        for f in [SignFault::None, SignFault::Length(257), SignFault::WrongSignature] {
            assert_eq!(f.to_string().parse::<SignFault>(), Ok(f));
        }
        assert!("length:x".parse::<SignFault>().is_err());
        assert!("bogus".parse::<SignFault>().is_err());
        let switch = SignFaultSwitch::default();
        switch.clone().set(SignFault::Length(257));
        assert_eq!(switch.get(), SignFault::Length(257));
    }
}
