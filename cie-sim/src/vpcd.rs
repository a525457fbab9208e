//! The simulator as a virtual card of vsmartcard's `vpcd` reader driver, so that pcscd, and
//! every PC/SC application above it, talks to it as to a card in a reader (TESTING.md, "The
//! vpcd wire protocol").
//!
//! vpcd listens on TCP (port 35963 for "Virtual PCD 00 00"); the card is the client. Every
//! message in both directions is a 2-byte big-endian length and a payload. A 1-byte payload
//! from vpcd is a control byte (`00` power off, `01` power on, `02` reset: no reply; `04` get
//! ATR: reply with the ATR); a longer one is a command APDU, answered with one frame
//! `data || SW1 SW2`. An empty reply, a socket error or a closed socket all mean "card removed"
//! to vpcd; connecting again means "card inserted".
//!
//! Latency: vpcd writes small frames with Nagle on and we would delay our ACKs, which costs
//! about 48 ms per APDU. `TCP_NODELAY` on our side and `TCP_QUICKACK` re-armed after every read
//! (Linux clears it by itself) bring that down to well under a millisecond.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::latency::Latency;

/// vpcd's TCP port for its first reader, "Virtual PCD 00 00".
pub const VPCD_PORT: u16 = 35963;
/// The PC/SC name of vpcd's first reader.
pub const VPCD_READER: &str = "Virtual PCD 00 00";

const CTRL_OFF: u8 = 0x00;
const CTRL_ON: u8 = 0x01;
const CTRL_RESET: u8 = 0x02;
const CTRL_ATR: u8 = 0x04;

/// What vpcd needs from a card.
pub trait VirtualCard: Send {
    /// The answer to reset.
    fn atr(&self) -> Vec<u8>;
    /// Power-on or warm reset: volatile state cleared, persistent state (PIN counters) kept.
    fn reset(&mut self);
    /// One command APDU in, `data || SW1 SW2` out.
    fn process(&mut self, apdu: &[u8]) -> Vec<u8>;
}

impl<C: VirtualCard + ?Sized> VirtualCard for Box<C> {
    fn atr(&self) -> Vec<u8> {
        (**self).atr()
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        (**self).process(apdu)
    }
}

/// The simulated CIE (PROTOCOL.md §10) as a vpcd card.
impl VirtualCard for crate::SimCard {
    fn atr(&self) -> Vec<u8> {
        crate::SimCard::atr(self).to_vec()
    }
    fn reset(&mut self) {
        crate::SimCard::reset(self)
    }
    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        crate::SimCard::process(self, apdu)
    }
}

/// A card that is not a CIE ([`crate::card::ForeignCard`]) as a vpcd card.
impl VirtualCard for crate::card::ForeignCard {
    fn atr(&self) -> Vec<u8> {
        crate::card::ForeignCard::atr(self).to_vec()
    }
    fn reset(&mut self) {
        crate::card::ForeignCard::reset(self)
    }
    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        crate::card::ForeignCard::process(self, apdu)
    }
}

/// Something that happened on the connection, reported to the caller of [`Connection::serve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// vpcd powered the card off.
    PowerOff,
    /// vpcd powered the card on (the card was reset).
    PowerOn,
    /// vpcd reset the card (warm reset).
    Reset,
    /// The ATR was served right after a power-on or reset: pcscd now has the card present and
    /// powered, and applications can connect.
    Ready,
    /// One APDU was answered.
    Apdu {
        /// Instruction byte of the command.
        ins: u8,
        /// Command length.
        command_len: usize,
        /// Response length, SW included.
        response_len: usize,
    },
}

/// Why [`Connection::serve`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The card was removed on request ([`Remover`]); the socket is closed.
    Removed,
    /// vpcd closed the connection (pcscd stopped, or vpcd gave up on the card).
    Closed,
}

/// A card's connection to vpcd.
pub struct Connection {
    stream: TcpStream,
    remove: Arc<AtomicBool>,
    /// APDUs still to answer before the card is pulled (0: no removal scheduled).
    remove_countdown: Arc<AtomicU64>,
}

/// Removes the card from another thread: asks [`Connection::serve`] to close the connection.
#[derive(Clone)]
pub struct Remover {
    stream: Arc<TcpStream>,
    remove: Arc<AtomicBool>,
    remove_countdown: Arc<AtomicU64>,
}

impl Remover {
    /// Removes the card at vpcd's next presence poll (pcscd polls about every 400 ms): the poll
    /// is left unanswered and the socket closed, so pcscd sees the card gone at that very
    /// moment, between two APDUs, not in the middle of one.
    pub fn at_next_poll(&self) {
        self.remove.store(true, Ordering::SeqCst);
    }

    /// Removes the card when the `n`-th APDU from now arrives (1 = the next; 0 counts as 1),
    /// before the card sees it: that APDU is left unanswered and the connection closed, as
    /// when a card is pulled while the reader sends it a command.
    pub fn before_apdu(&self, n: u64) {
        self.remove_countdown.store(n.max(1), Ordering::SeqCst);
    }

    /// Drops a removal scheduled with [`Remover::before_apdu`] that has not happened.
    pub fn cancel_scheduled(&self) {
        self.remove_countdown.store(0, Ordering::SeqCst);
    }

    /// Removes the card now: the socket is shut down, whatever is in flight fails.
    pub fn now(&self) {
        self.remove.store(true, Ordering::SeqCst);
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

impl Connection {
    /// Connects to vpcd at `addr` (the card is inserted).
    pub fn connect(addr: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        quickack(&stream);
        Ok(Connection {
            stream,
            remove: Arc::new(AtomicBool::new(false)),
            remove_countdown: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Connects to vpcd at `addr`, retrying every 100 ms while nothing listens there yet, for at
    /// most `timeout` (forever with `None`).
    pub fn connect_retry(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<Connection> {
        let start = Instant::now();
        loop {
            match Connection::connect(addr) {
                Ok(c) => return Ok(c),
                Err(e) if matches!(timeout, Some(t) if start.elapsed() >= t) => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// A handle that removes the card from another thread.
    pub fn remover(&self) -> io::Result<Remover> {
        Ok(Remover {
            stream: Arc::new(self.stream.try_clone()?),
            remove: self.remove.clone(),
            remove_countdown: self.remove_countdown.clone(),
        })
    }

    /// Serves `card` until the card is removed or vpcd closes the connection. `latency` delays
    /// each answer (see [`crate::latency`]); `on_event` hears of power changes and APDUs.
    pub fn serve<C: VirtualCard + ?Sized>(
        mut self,
        card: &mut C,
        latency: &mut Latency,
        on_event: &mut dyn FnMut(Event),
    ) -> io::Result<End> {
        // True between a power-on/reset and the ATR request that completes it.
        let mut powering = false;
        loop {
            let frame = match self.read_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(self.end(End::Closed)),
                Err(_) if self.remove.load(Ordering::SeqCst) => return Ok(End::Removed),
                Err(e) if is_disconnect(&e) => return Ok(self.end(End::Closed)),
                Err(e) => return Err(e),
            };
            match frame.as_slice() {
                [] => {}
                [CTRL_OFF] => {
                    card.reset();
                    powering = false;
                    on_event(Event::PowerOff);
                }
                [c @ (CTRL_ON | CTRL_RESET)] => {
                    card.reset();
                    std::thread::sleep(latency.reset_cost());
                    powering = true;
                    on_event(if *c == CTRL_ON { Event::PowerOn } else { Event::Reset });
                }
                [CTRL_ATR] => {
                    if !powering && self.remove.load(Ordering::SeqCst) {
                        // A presence poll: leave it unanswered, vpcd sees the card gone.
                        return Ok(self.end(End::Removed));
                    }
                    let atr = card.atr();
                    self.write_frame(&atr)?;
                    if std::mem::take(&mut powering) {
                        on_event(Event::Ready);
                    }
                }
                [_] => {} // an unknown control byte: vpcd expects no reply
                apdu => {
                    if self.pull_now() {
                        self.remove.store(true, Ordering::SeqCst);
                        return Ok(self.end(End::Removed));
                    }
                    let start = Instant::now();
                    let mut response = card.process(apdu);
                    if response.len() < 2 {
                        // Never an empty frame: vpcd would take it for a removal.
                        response = vec![0x6F, 0x00];
                    }
                    let target = latency.cost(apdu, response.len());
                    if let Some(rest) = target.checked_sub(start.elapsed()) {
                        std::thread::sleep(rest);
                    }
                    self.write_frame(&response)?;
                    on_event(Event::Apdu { ins: apdu[1], command_len: apdu.len(), response_len: response.len() });
                }
            }
        }
    }

    /// Counts one APDU against a removal scheduled with [`Remover::before_apdu`]: true when
    /// this is the APDU before which the card leaves.
    fn pull_now(&self) -> bool {
        let step = |n: u64| (n > 0).then(|| n - 1);
        matches!(self.remove_countdown.fetch_update(Ordering::SeqCst, Ordering::SeqCst, step), Ok(1))
    }

    fn end(&self, end: End) -> End {
        let _ = self.stream.shutdown(Shutdown::Both);
        if self.remove.load(Ordering::SeqCst) {
            End::Removed
        } else {
            end
        }
    }

    /// Reads one frame; `None` on a clean end of stream before a frame starts.
    fn read_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut len = [0u8; 2];
        match self.stream.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        quickack(&self.stream);
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.stream.read_exact(&mut payload)?;
        quickack(&self.stream);
        Ok(Some(payload))
    }

    fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        let len = u16::try_from(payload.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 65535 bytes"))?;
        let mut frame = Vec::with_capacity(payload.len() + 2);
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame)
    }
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

/// Re-arms `TCP_QUICKACK` (Linux turns it off again after some ACKs), so the ACK for what we
/// just read leaves at once instead of waiting for our reply or the delayed-ACK timer.
#[cfg(target_os = "linux")]
fn quickack(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor owned by `stream`, a c_int option value of the right
    // size; setsockopt does not retain the pointer.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn quickack(_stream: &TcpStream) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latency::LatencyModel;
    use std::net::TcpListener;

    /// A card that answers SELECT MF with 90 00, remembers whether it was reset, and returns an
    /// empty response for INS `EE`.
    struct TinyCard {
        resets: u32,
        selected: bool,
    }

    impl VirtualCard for TinyCard {
        fn atr(&self) -> Vec<u8> {
            vec![0x3B, 0x80, 0x80, 0x01, 0x01]
        }
        fn reset(&mut self) {
            self.resets += 1;
            self.selected = false;
        }
        fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
            match apdu {
                [0x00, 0xA4, 0x00, 0x00] => {
                    self.selected = true;
                    vec![0x90, 0x00]
                }
                [_, 0xEE, ..] => vec![],
                [_, 0xCA, ..] => vec![u8::from(self.selected), 0x90, 0x00],
                _ => vec![0x6D, 0x00],
            }
        }
    }

    /// Plays vpcd: a listener and helpers to send frames and read replies.
    struct FakeVpcd {
        stream: TcpStream,
    }

    impl FakeVpcd {
        fn send(&mut self, payload: &[u8]) {
            let mut f = (payload.len() as u16).to_be_bytes().to_vec();
            f.extend_from_slice(payload);
            self.stream.write_all(&f).unwrap();
        }
        fn recv(&mut self) -> Option<Vec<u8>> {
            let mut len = [0u8; 2];
            self.stream.read_exact(&mut len).ok()?;
            let mut p = vec![0u8; u16::from_be_bytes(len) as usize];
            self.stream.read_exact(&mut p).ok()?;
            Some(p)
        }
        fn exchange(&mut self, payload: &[u8]) -> Vec<u8> {
            self.send(payload);
            self.recv().expect("reply")
        }
    }

    fn start() -> (FakeVpcd, Connection) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let conn = Connection::connect_retry(addr, Some(Duration::from_secs(5))).unwrap();
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        (FakeVpcd { stream }, conn)
    }

    #[test]
    fn speaks_the_vpcd_protocol() {
        let (mut vpcd, conn) = start();
        let server = std::thread::spawn(move || {
            let mut card = TinyCard { resets: 0, selected: false };
            let mut events = Vec::new();
            let end = conn.serve(&mut card, &mut Latency::new(LatencyModel::NONE), &mut |e| events.push(e)).unwrap();
            (end, card.resets, events)
        });
        // Presence poll, power on, ATR.
        assert_eq!(vpcd.exchange(&[0x04]), [0x3B, 0x80, 0x80, 0x01, 0x01]);
        vpcd.send(&[0x01]);
        assert_eq!(vpcd.exchange(&[0x04]), [0x3B, 0x80, 0x80, 0x01, 0x01]);
        assert_eq!(vpcd.exchange(&[0x00, 0xA4, 0x00, 0x00]), [0x90, 0x00]);
        assert_eq!(vpcd.exchange(&[0x00, 0xCA, 0x00, 0x00, 0x01]), [0x01, 0x90, 0x00]);
        // An empty card answer never reaches vpcd as an empty frame.
        assert_eq!(vpcd.exchange(&[0x00, 0xEE, 0x00, 0x00]), [0x6F, 0x00]);
        // Warm reset clears the card's volatile state; unknown control bytes get no reply.
        vpcd.send(&[0x02]);
        vpcd.send(&[0x07]);
        assert_eq!(vpcd.exchange(&[0x04]).len(), 5);
        assert_eq!(vpcd.exchange(&[0x00, 0xCA, 0x00, 0x00, 0x01]), [0x00, 0x90, 0x00]);
        vpcd.send(&[0x00]);
        drop(vpcd);
        let (end, resets, events) = server.join().unwrap();
        assert_eq!(end, End::Closed);
        assert_eq!(resets, 3);
        assert_eq!(
            events.iter().filter(|e| **e == Event::Ready).count(),
            2,
            "ready after power-on and after reset: {events:?}"
        );
        assert_eq!(events.last(), Some(&Event::PowerOff));
        assert!(events.contains(&Event::Apdu { ins: 0xA4, command_len: 4, response_len: 2 }));
    }

    #[test]
    fn removal_waits_for_a_presence_poll() {
        let (mut vpcd, conn) = start();
        let remover = conn.remover().unwrap();
        let server = std::thread::spawn(move || {
            let mut card = TinyCard { resets: 0, selected: false };
            conn.serve(&mut card, &mut Latency::default(), &mut |_| {}).unwrap()
        });
        vpcd.send(&[0x01]);
        assert_eq!(vpcd.exchange(&[0x04]).len(), 5);
        remover.at_next_poll();
        // APDUs in flight are still answered ...
        assert_eq!(vpcd.exchange(&[0x00, 0xA4, 0x00, 0x00]), [0x90, 0x00]);
        // ... the next presence poll is not: the connection closes.
        vpcd.send(&[0x04]);
        assert_eq!(vpcd.recv(), None);
        assert_eq!(server.join().unwrap(), End::Removed);
    }

    #[test]
    fn removal_before_the_nth_apdu() {
        let (mut vpcd, conn) = start();
        let remover = conn.remover().unwrap();
        let server = std::thread::spawn(move || {
            let mut card = TinyCard { resets: 0, selected: false };
            let end = conn.serve(&mut card, &mut Latency::default(), &mut |_| {}).unwrap();
            (end, card.selected)
        });
        vpcd.send(&[0x01]);
        assert_eq!(vpcd.exchange(&[0x04]).len(), 5);
        // Scheduled and cancelled: nothing happens.
        remover.before_apdu(1);
        remover.cancel_scheduled();
        assert_eq!(vpcd.exchange(&[0x00, 0xCA, 0x00, 0x00, 0x01]), [0x00, 0x90, 0x00]);
        remover.before_apdu(2);
        // The first APDU is answered, presence polls too ...
        assert_eq!(vpcd.exchange(&[0x00, 0xCA, 0x00, 0x00, 0x01]), [0x00, 0x90, 0x00]);
        assert_eq!(vpcd.exchange(&[0x04]).len(), 5);
        // ... the second is left unanswered and never reaches the card.
        vpcd.send(&[0x00, 0xA4, 0x00, 0x00]);
        assert_eq!(vpcd.recv(), None);
        assert_eq!(server.join().unwrap(), (End::Removed, false));
    }

    #[test]
    fn immediate_removal() {
        let (mut vpcd, conn) = start();
        let remover = conn.remover().unwrap();
        let server = std::thread::spawn(move || {
            let mut card = TinyCard { resets: 0, selected: false };
            conn.serve(&mut card, &mut Latency::default(), &mut |_| {}).unwrap()
        });
        assert_eq!(vpcd.exchange(&[0x04]).len(), 5);
        remover.now();
        assert_eq!(server.join().unwrap(), End::Removed);
        assert_eq!(vpcd.recv(), None);
    }

    #[test]
    fn retries_until_vpcd_listens() {
        // Reserve a port, free it, and start listening only after the client began retrying.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let client = std::thread::spawn(move || Connection::connect_retry(addr, Some(Duration::from_secs(10))));
        std::thread::sleep(Duration::from_millis(250));
        let listener = TcpListener::bind(addr).unwrap();
        let (_s, _) = listener.accept().unwrap();
        assert!(client.join().unwrap().is_ok());
        // And gives up after its timeout when nothing listens.
        drop(listener);
        assert!(Connection::connect_retry(addr, Some(Duration::from_millis(200))).is_err());
    }
}
