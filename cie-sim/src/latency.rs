//! An optional latency model for the simulator behind pcscd (PROTOCOL.md §9.5): a real CIE
//! answers in milliseconds to hundreds of milliseconds, the simulator in microseconds. With the
//! model on, the vpcd server waits before answering so that the time an operation takes through
//! PC/SC resembles a real card's; off (the default) it answers at once.
//!
//! Per APDU: `t = per_apdu + per_byte · (command + response bytes) + t_op`, where `t_op` is the
//! on-card compute cost of the operation recognised from the command header (clear even under
//! secure messaging) and a little state. The model's figures are the middle of §9.5's ranges;
//! they are estimates, not measurements of a real card.

use std::time::Duration;

/// The costs of the latency model (PROTOCOL.md §9.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyModel {
    /// Fixed cost of every exchange (t0).
    pub per_apdu: Duration,
    /// Cost per byte on the wire, command and response together.
    pub per_byte: Duration,
    /// DH: the card computes y_ICC and Z at GET DATA `A6/91` (§4.3 step 4).
    pub dh: Duration,
    /// PSO VERIFY CERTIFICATE (RSA public operation + SHA-256, §4.4.1).
    pub verify_certificate: Duration,
    /// EXTERNAL AUTHENTICATE (RSA public operation, §4.4.2 step 5).
    pub external_authenticate: Duration,
    /// DAPP INTERNAL AUTHENTICATE (RSA-2048 private operation, §4.4.2 step 7).
    pub dapp_internal_authenticate: Duration,
    /// Signature INTERNAL AUTHENTICATE (keys `81` and `83`, §7.1).
    pub signature: Duration,
    /// A PIN/PUK counter or value written: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER (§6).
    pub pin_write: Duration,
    /// Warm reset or power-on (the ATR cycle).
    pub reset: Duration,
}

impl LatencyModel {
    /// No latency: answer at once.
    pub const NONE: LatencyModel = LatencyModel {
        per_apdu: Duration::ZERO,
        per_byte: Duration::ZERO,
        dh: Duration::ZERO,
        verify_certificate: Duration::ZERO,
        external_authenticate: Duration::ZERO,
        dapp_internal_authenticate: Duration::ZERO,
        signature: Duration::ZERO,
        pin_write: Duration::ZERO,
        reset: Duration::ZERO,
    };

    /// The middle figures of PROTOCOL.md §9.5: t0 12 ms, 0.2 ms/byte, DH 200 ms, PSO 40 ms,
    /// EXTERNAL AUTHENTICATE 40 ms, DAPP INTERNAL AUTHENTICATE 275 ms, PIN write 25 ms,
    /// signature 275 ms, reset 100 ms.
    pub const REALISTIC: LatencyModel = LatencyModel {
        per_apdu: Duration::from_millis(12),
        per_byte: Duration::from_micros(200),
        dh: Duration::from_millis(200),
        verify_certificate: Duration::from_millis(40),
        external_authenticate: Duration::from_millis(40),
        dapp_internal_authenticate: Duration::from_millis(275),
        signature: Duration::from_millis(275),
        pin_write: Duration::from_millis(25),
        reset: Duration::from_millis(100),
    };

    /// The model named on the command line: `realistic` or `none`.
    pub fn from_name(name: &str) -> Option<LatencyModel> {
        match name.to_ascii_lowercase().as_str() {
            "realistic" => Some(Self::REALISTIC),
            "none" | "off" => Some(Self::NONE),
            _ => None,
        }
    }

    /// The on-card compute cost of `op`.
    pub fn operation_cost(&self, op: Operation) -> Duration {
        match op {
            Operation::Transfer => Duration::ZERO,
            Operation::Dh => self.dh,
            Operation::VerifyCertificate => self.verify_certificate,
            Operation::ExternalAuthenticate => self.external_authenticate,
            Operation::DappInternalAuthenticate => self.dapp_internal_authenticate,
            Operation::Signature => self.signature,
            Operation::PinWrite => self.pin_write,
        }
    }
}

impl Default for LatencyModel {
    fn default() -> Self {
        Self::NONE
    }
}

/// What an APDU costs the card beyond moving bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Nothing but the transfer (SELECT, READ BINARY, GET RESPONSE, MSE SET, chained chunks...).
    Transfer,
    /// GET DATA `A6/91`: the card's DH computation.
    Dh,
    /// PSO VERIFY CERTIFICATE (last chunk).
    VerifyCertificate,
    /// EXTERNAL AUTHENTICATE (last chunk).
    ExternalAuthenticate,
    /// The INTERNAL AUTHENTICATE that follows EXTERNAL AUTHENTICATE (DAPP, key `82`).
    DappInternalAuthenticate,
    /// Any other INTERNAL AUTHENTICATE (signature with key `81` or `83`).
    Signature,
    /// VERIFY with data, CHANGE REFERENCE DATA, RESET RETRY COUNTER.
    PinWrite,
}

/// The model applied to a stream of APDUs: classifies each command and tells how long the
/// answer should take in total.
#[derive(Clone, Debug, Default)]
pub struct Latency {
    model: LatencyModel,
    /// An EXTERNAL AUTHENTICATE completed: the next INTERNAL AUTHENTICATE is the DAPP one.
    /// (Under SM the MSE SET that selects key `82` is encrypted, so the order tells it.)
    after_external_auth: bool,
}

impl Latency {
    /// Applies `model`.
    pub fn new(model: LatencyModel) -> Latency {
        Latency { model, after_external_auth: false }
    }

    /// The model.
    pub fn model(&self) -> &LatencyModel {
        &self.model
    }

    /// True when the model adds no delay at all.
    pub fn is_none(&self) -> bool {
        self.model == LatencyModel::NONE
    }

    /// Classifies `command` (plain or SM-wrapped) and updates the little state the
    /// classification needs.
    pub fn classify(&mut self, command: &[u8]) -> Operation {
        let [cla, ins, p1, p2, ..] = *command else { return Operation::Transfer };
        let last_chunk = cla & 0x10 == 0;
        let data = command.get(5..).unwrap_or(&[]);
        let sm = cla & 0x0C == 0x0C;
        match (ins, p1, p2) {
            // MSE SET KAT starts a new DH: a new secure channel, a new DAPP.
            (0x22, 0x41, 0xA6) => {
                self.after_external_auth = false;
                Operation::Transfer
            }
            (0xCB, 0x3F, 0xFF) if data.len() >= 3 && data[0] == 0x4D && data[2] == 0xA6 => Operation::Dh,
            (0x2A, 0x00, 0xAE) if last_chunk => Operation::VerifyCertificate,
            (0x82, _, _) if last_chunk => {
                self.after_external_auth = true;
                Operation::ExternalAuthenticate
            }
            (0x88, _, _) if last_chunk => {
                if std::mem::take(&mut self.after_external_auth) {
                    Operation::DappInternalAuthenticate
                } else {
                    Operation::Signature
                }
            }
            // VERIFY without data is a status query (§6); under SM, data comes as DO87.
            (0x20, _, _) if (!sm && !data.is_empty()) || (sm && data.first() == Some(&0x87)) => Operation::PinWrite,
            (0x24, _, _) | (0x2C, _, _) if last_chunk => Operation::PinWrite,
            _ => Operation::Transfer,
        }
    }

    /// The total time the exchange of `command` with a response of `response_len` bytes
    /// (status word included) should take.
    pub fn cost(&mut self, command: &[u8], response_len: usize) -> Duration {
        let op = self.classify(command);
        let bytes = u32::try_from(command.len() + response_len).unwrap_or(u32::MAX);
        self.model.per_apdu + self.model.per_byte * bytes + self.model.operation_cost(op)
    }

    /// The time a warm reset or power-on takes; forgets the per-session state.
    pub fn reset_cost(&mut self) -> Duration {
        self.after_external_auth = false;
        self.model.reset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn names() {
        assert_eq!(LatencyModel::from_name("realistic"), Some(LatencyModel::REALISTIC));
        assert_eq!(LatencyModel::from_name("None"), Some(LatencyModel::NONE));
        assert_eq!(LatencyModel::from_name("fast"), None);
        assert!(Latency::new(LatencyModel::NONE).is_none());
        assert!(!Latency::new(LatencyModel::REALISTIC).is_none());
    }

    #[test]
    fn secure_channel_sequence_is_classified() {
        let mut l = Latency::new(LatencyModel::REALISTIC);
        use Operation::*;
        let seq: &[(&[u8], Operation)] = &[
            (&[0x00, 0xA4, 0x00, 0x00], Transfer),
            (&[0x00, 0xCB, 0x3F, 0xFF, 0x0C, 0x4D, 0x0A, 0x70, 0x08], Transfer), // g
            (&[0x10, 0x22, 0x41, 0xA6, 0xFF, 0x80], Transfer),
            (&[0x00, 0x22, 0x41, 0xA6, 0x0B, 0x00], Transfer),
            (&[0x00, 0xCB, 0x3F, 0xFF, 0x06, 0x4D, 0x04, 0xA6, 0x02, 0x91, 0x00], Dh),
            (&[0x00, 0xC0, 0x00, 0x00, 0x08], Transfer),
            (&[0x0C, 0x22, 0x81, 0xB6, 0x15, 0x87], Transfer),
            (&[0x1C, 0x2A, 0x00, 0xAE, 0xF7, 0x87], Transfer),
            (&[0x0C, 0x2A, 0x00, 0xAE, 0x8F, 0x87], VerifyCertificate),
            (&[0x0C, 0x84, 0x00, 0x00, 0x0D, 0x97], Transfer),
            (&[0x1C, 0x82, 0x00, 0x00, 0xF7, 0x87], Transfer),
            (&[0x0C, 0x82, 0x00, 0x00, 0x36, 0x87], ExternalAuthenticate),
            (&[0x0C, 0x22, 0x41, 0xA4, 0x15, 0x87], Transfer),
            (&[0x0C, 0x88, 0x00, 0x00, 0x1D, 0x87], DappInternalAuthenticate),
            (&[0x0C, 0x20, 0x00, 0x81, 0x1D, 0x87], PinWrite),
            (&[0x0C, 0x20, 0x00, 0x81, 0x0A, 0x8E], Transfer), // SM status query
            (&[0x00, 0x20, 0x00, 0x81], Transfer),             // plain status query
            (&[0x0C, 0x22, 0x41, 0xA4, 0x15, 0x87], Transfer),
            (&[0x0C, 0x88, 0x00, 0x00, 0x45, 0x87], Signature),
            (&[0x0C, 0x88, 0x00, 0x00, 0x45, 0x87], Signature),
            (&[0x0C, 0x24, 0x00, 0x81, 0x25, 0x87], PinWrite),
            (&[0x0C, 0x2C, 0x03, 0x81, 0x0D, 0x97], PinWrite),
            (&[0x00], Transfer),
        ];
        for (cmd, op) in seq {
            assert_eq!(l.classify(cmd), *op, "{cmd:02X?}");
        }
    }

    #[test]
    fn new_dh_or_reset_forgets_a_pending_dapp() {
        let mut l = Latency::new(LatencyModel::REALISTIC);
        l.classify(&[0x0C, 0x82, 0x00, 0x00, 0x36, 0x87]);
        let _ = l.reset_cost();
        assert_eq!(l.classify(&[0x00, 0x88, 0x00, 0x00, 0x0C]), Operation::Signature);
        l.classify(&[0x0C, 0x82, 0x00, 0x00, 0x36, 0x87]);
        l.classify(&[0x10, 0x22, 0x41, 0xA6, 0xFF, 0x80]);
        assert_eq!(l.classify(&[0x00, 0x88, 0x00, 0x00, 0x0C]), Operation::Signature);
    }

    #[test]
    fn cost_adds_fixed_bytes_and_operation() {
        let mut l = Latency::new(LatencyModel::REALISTIC);
        // SELECT MF: 4 + 2 bytes.
        assert_eq!(l.cost(&[0x00, 0xA4, 0x00, 0x00], 2), ms(12) + Duration::from_micros(1200));
        let get_y = [0x00, 0xCB, 0x3F, 0xFF, 0x06, 0x4D, 0x04, 0xA6, 0x02, 0x91, 0x00];
        assert_eq!(l.cost(&get_y, 258), ms(12) + Duration::from_micros(200 * 269) + ms(200));
        let mut none = Latency::new(LatencyModel::NONE);
        assert_eq!(none.cost(&get_y, 258), Duration::ZERO);
        assert_eq!(none.reset_cost(), Duration::ZERO);
    }
}
