//! The `cie-sim` process's control protocol: the lines it reads on standard input
//! ([`Control`]: `remove`, `insert`, ...) and the status lines it writes on standard error
//! ([`Status`]: `cie-sim: ready ...`, `cie-sim: removed ...`). The binary parses the first and
//! writes the second; [`crate::stack::VirtualStack`] and `cargo xtask with-card` write the
//! first and read the second. Both sides use these types, so the words exist once.

use std::fmt;
use std::str::FromStr;

use crate::card::SignFault;

/// One control line on the simulator's standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// `remove`: the card leaves the reader at vpcd's next presence poll.
    Remove,
    /// `remove-before N`: the card leaves when the N-th APDU from now arrives, before the card
    /// sees it (pulled while the reader sends a command).
    RemoveBefore(u64),
    /// `remove-cancel`: drop a scheduled removal.
    RemoveCancel,
    /// `insert`: the card is put back (reconnect, power-on); PIN and PUK counters are kept.
    Insert,
    /// `sign-fault none|length:N|wrong`: every following holder-key signature is faulty as
    /// the [`SignFault`] says.
    SignFault(SignFault),
    /// `counts`: report the APDUs and the PIN commands received so far ([`Status::Counts`]).
    Counts,
    /// `quit`: stop (the end of standard input does the same).
    Quit,
}

/// The words of [`Control`], as the binary lists them when a line is not one of them.
const CONTROL_WORDS: &str = "remove, remove-before N, remove-cancel, insert, sign-fault, counts, quit";

/// The instructions that carry a PIN or PUK (PROTOCOL.md §6): VERIFY, CHANGE REFERENCE DATA,
/// RESET RETRY COUNTER (ISO 7816-4 §11.5.6-11.5.10), in plain or under secure messaging (the
/// INS byte is not protected).
pub const PIN_INSTRUCTIONS: [u8; 3] = [0x20, 0x24, 0x2C];

/// What the simulator has received since it started, whichever card it serves: the answer to
/// [`Control::Counts`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Command APDUs answered.
    pub apdus: u64,
    /// Of them, PIN commands ([`PIN_INSTRUCTIONS`]), whatever the card answered.
    pub pin_commands: u64,
}

impl Counts {
    /// Counts one answered APDU with instruction `ins`.
    pub fn add(&mut self, ins: u8) {
        self.apdus = self.apdus.saturating_add(1);
        if PIN_INSTRUCTIONS.contains(&ins) {
            self.pin_commands = self.pin_commands.saturating_add(1);
        }
    }
}

/// Why a control line was not understood; the text follows `cie-sim: ` on standard error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// Not a control word.
    #[error("unknown control {0:?} ({CONTROL_WORDS})")]
    Unknown(String),
    /// `remove-before` without a count (the whole line).
    #[error("remove-before: expected a number, got {0:?}")]
    BadCount(String),
    /// `sign-fault` with a fault that is not `none`, `length:N` or `wrong` (the reason).
    #[error("sign-fault: {0}")]
    BadSignFault(String),
}

impl Control {
    /// Parses one line of standard input (surrounding blanks ignored); `Ok(None)` for a blank
    /// line.
    pub fn parse_line(line: &str) -> Result<Option<Control>, ControlError> {
        let line = line.trim();
        if line.is_empty() {
            return Ok(None);
        }
        line.parse().map(Some)
    }
}

impl FromStr for Control {
    type Err = ControlError;

    fn from_str(line: &str) -> Result<Control, ControlError> {
        if let Some(spec) = line.strip_prefix("sign-fault ") {
            return spec.trim().parse().map(Control::SignFault).map_err(ControlError::BadSignFault);
        }
        if let Some(count) = line.strip_prefix("remove-before ") {
            return count.trim().parse().map(Control::RemoveBefore).map_err(|_| ControlError::BadCount(line.into()));
        }
        match line {
            "remove" => Ok(Control::Remove),
            "remove-cancel" => Ok(Control::RemoveCancel),
            "insert" => Ok(Control::Insert),
            "counts" => Ok(Control::Counts),
            "quit" => Ok(Control::Quit),
            other => Err(ControlError::Unknown(other.into())),
        }
    }
}

/// The line as written to the simulator (without the newline).
impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Control::Remove => f.write_str("remove"),
            Control::RemoveBefore(n) => write!(f, "remove-before {n}"),
            Control::RemoveCancel => f.write_str("remove-cancel"),
            Control::Insert => f.write_str("insert"),
            Control::SignFault(fault) => write!(f, "sign-fault {fault}"),
            Control::Counts => f.write_str("counts"),
            Control::Quit => f.write_str("quit"),
        }
    }
}

/// Prefix of the line written once connected to vpcd.
const CONNECTED: &str = "cie-sim: connected";
/// Prefix of the line written when pcscd has powered the card and read its ATR.
const READY: &str = "cie-sim: ready";
/// Prefix of the line written when vpcd has noticed a removal.
const REMOVED: &str = "cie-sim: removed";
/// Prefix of the line written when a removal before an APDU was scheduled or cancelled.
const SCHEDULED: &str = "cie-sim: removal scheduled";
/// Prefix of the line written when a `sign-fault` line took effect.
const SIGN_FAULT: &str = "cie-sim: sign fault";
/// Prefix of the line answering `counts`.
const COUNTS: &str = "cie-sim: counts:";
/// What a removal line says before the PIN tries left.
const PIN_TRIES: &str = "PIN tries left ";

/// A status line of the simulator on standard error. [`Status::parse`] reads a line by its
/// prefix, as the stack does; the [`fmt::Display`] form is what the binary writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Connected to vpcd at this address.
    Connected(String),
    /// pcscd has powered the card and read its ATR.
    Ready,
    /// vpcd has noticed a removal (the simulator left one of pcscd's presence polls
    /// unanswered); with the card's PIN tries left.
    Removed {
        /// The PIN tries left when the card left the reader.
        pin_tries: Option<u8>,
    },
    /// A `remove-before N` took effect (`Some(N)`), or `remove-cancel` (`None`).
    RemovalScheduled(Option<u64>),
    /// A `sign-fault` line took effect (`None` when the line's fault is not readable).
    SignFault(Option<SignFault>),
    /// The answer to `counts` (`None` when the line's figures are not readable).
    Counts(Option<Counts>),
}

impl Status {
    /// The status a line of the simulator's standard error reports, if any: recognised by its
    /// prefix, so a line with more or fewer details still counts.
    pub fn parse(line: &str) -> Option<Status> {
        if line.starts_with(READY) {
            Some(Status::Ready)
        } else if let Some(rest) = line.strip_prefix(REMOVED) {
            let pin_tries = rest
                .find(PIN_TRIES)
                .and_then(|at| rest[at + PIN_TRIES.len()..].trim_end_matches(')').trim().parse().ok());
            Some(Status::Removed { pin_tries })
        } else if let Some(rest) = line.strip_prefix(SCHEDULED) {
            let before = rest.trim().strip_prefix("before APDU ").and_then(|r| r.split_whitespace().next());
            Some(Status::RemovalScheduled(before.and_then(|n| n.parse().ok())))
        } else if let Some(rest) = line.strip_prefix(COUNTS) {
            Some(Status::Counts(parse_counts(rest)))
        } else if let Some(rest) = line.strip_prefix(SIGN_FAULT) {
            Some(Status::SignFault(rest.trim().parse().ok()))
        } else {
            line.strip_prefix(CONNECTED).map(|rest| Status::Connected(rest.trim().trim_start_matches("to ").into()))
        }
    }
}

/// The line the binary writes (without the newline).
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Connected(to) => write!(f, "{CONNECTED} to {to}"),
            Status::Ready => write!(f, "{READY} (ATR served after power-on)"),
            Status::Removed { pin_tries: Some(n) } => write!(f, "{REMOVED} ({PIN_TRIES}{n})"),
            Status::Removed { pin_tries: None } => f.write_str(REMOVED),
            Status::RemovalScheduled(Some(n)) => write!(f, "{SCHEDULED} before APDU {n} from now"),
            Status::RemovalScheduled(None) => write!(f, "{SCHEDULED}: none"),
            Status::SignFault(Some(fault)) => write!(f, "{SIGN_FAULT} {fault}"),
            Status::SignFault(None) => f.write_str(SIGN_FAULT),
            Status::Counts(Some(c)) => write!(f, "{COUNTS} {} APDUs, {} PIN commands", c.apdus, c.pin_commands),
            Status::Counts(None) => f.write_str(COUNTS),
        }
    }
}

/// The figures of a counts line after its prefix: `N APDUs, M PIN commands`.
fn parse_counts(rest: &str) -> Option<Counts> {
    let (apdus, pins) = rest.trim().split_once(", ")?;
    let apdus = apdus.strip_suffix(" APDUs")?.parse().ok()?;
    let pin_commands = pins.strip_suffix(" PIN commands")?.parse().ok()?;
    Some(Counts { apdus, pin_commands })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_commands_are_counted_by_instruction() {
        let mut c = Counts::default();
        // SELECT, VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, GET DATA.
        for ins in [0xA4, 0x20, 0x24, 0x2C, 0xCA] {
            c.add(ins);
        }
        assert_eq!(c, Counts { apdus: 5, pin_commands: 3 });
    }

    #[test]
    fn control_lines_parse_and_format() {
        // The words of `cie-sim --help`, written out.
        let lines = [
            ("remove", Control::Remove),
            ("remove-before 7", Control::RemoveBefore(7)),
            ("remove-cancel", Control::RemoveCancel),
            ("insert", Control::Insert),
            ("sign-fault length:3", Control::SignFault(SignFault::Length(3))),
            ("sign-fault wrong", Control::SignFault(SignFault::WrongSignature)),
            ("sign-fault none", Control::SignFault(SignFault::None)),
            ("counts", Control::Counts),
            ("quit", Control::Quit),
        ];
        for (line, control) in lines {
            assert_eq!(Control::parse_line(&format!("  {line} \n")), Ok(Some(control)), "{line}");
            assert_eq!(control.to_string(), line);
        }
        assert_eq!(Control::parse_line(" \n"), Ok(None));
    }

    #[test]
    fn bad_control_lines_say_why() {
        let err = |line: &str| Control::parse_line(line).unwrap_err().to_string();
        assert_eq!(
            err("eject"),
            "unknown control \"eject\" (remove, remove-before N, remove-cancel, insert, sign-fault, counts, quit)"
        );
        assert_eq!(err("remove-before x"), "remove-before: expected a number, got \"remove-before x\"");
        assert!(
            err("sign-fault length:x").starts_with("sign-fault: bad signature fault"),
            "{}",
            err("sign-fault length:x")
        );
        // A word without its argument is not a word.
        assert!(matches!(Control::parse_line("remove-before"), Err(ControlError::Unknown(_))));
        assert!(matches!(Control::parse_line("sign-fault"), Err(ControlError::Unknown(_))));
    }

    #[test]
    fn status_lines_parse_and_format() {
        // The lines the binary writes, written out.
        let lines = [
            ("cie-sim: connected to 127.0.0.1:35963", Status::Connected("127.0.0.1:35963".into())),
            ("cie-sim: ready (ATR served after power-on)", Status::Ready),
            ("cie-sim: removed (PIN tries left 2)", Status::Removed { pin_tries: Some(2) }),
            ("cie-sim: removal scheduled before APDU 7 from now", Status::RemovalScheduled(Some(7))),
            ("cie-sim: removal scheduled: none", Status::RemovalScheduled(None)),
            ("cie-sim: sign fault length:5", Status::SignFault(Some(SignFault::Length(5)))),
            ("cie-sim: counts: 31 APDUs, 2 PIN commands", Status::Counts(Some(Counts { apdus: 31, pin_commands: 2 }))),
        ];
        for (line, status) in lines {
            assert_eq!(Status::parse(line), Some(status.clone()), "{line}");
            assert_eq!(status.to_string(), line);
        }
        // By prefix: fewer details still count.
        assert_eq!(Status::parse("cie-sim: ready"), Some(Status::Ready));
        assert_eq!(Status::parse("cie-sim: removed"), Some(Status::Removed { pin_tries: None }));
        assert_eq!(Status::parse("cie-sim: sign fault ?"), Some(Status::SignFault(None)));
        assert_eq!(Status::parse("cie-sim: counts: 3 APDUs"), Some(Status::Counts(None)));
        assert_eq!(Status::parse("cie-sim: APDU INS A4: 5 -> 2 bytes"), None);
        assert_eq!(Status::parse("noise"), None);
    }
}
