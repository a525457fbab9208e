//! Opening a session (PROTOCOL.md §1.2, §2; DESIGN.md §5): the card's generation by probing,
//! its identity and static data read in plain or taken from stored card constants, and the
//! constants handed back for storage once a secure channel confirmed them.

use super::state::State;
use super::Session;
use crate::card_constants::CardConstants;
use crate::error::Result;
use crate::primitives;
use crate::transport::Transport;

impl<T: Transport> Session<T> {
    /// Connects to the card: detects its generation by probing (§1.2, the ATR as a hint),
    /// selects the CIE application, and reads EF.SN.ICC, the NIS and the chip key (§2) in plain.
    pub fn open(transport: T) -> Result<Session<T>> {
        Session::open_with_constants(transport, |_| None)
    }

    /// Like [`Session::open`], but asks `known` for the [`CardConstants`] stored for this card
    /// (it gets EF.SN.ICC, the card's identity): when they decode and match EF.SN.ICC, opening
    /// costs three exchanges (root, SELECT and READ of EF.SN.ICC) and no card crypto, and the
    /// next secure channel skips reading the DH group, the CA key and the chip key. Constants
    /// that do not fit the card are noticed in the handshake and read again (DESIGN.md §5).
    pub fn open_with_constants(mut transport: T, known: impl FnOnce(&[u8]) -> Option<Vec<u8>>) -> Result<Session<T>> {
        primitives::session_opened();
        let atr = transport.atr()?;
        let mut session = Session { transport, state: State::new(atr) };
        let mut known = Some(known);
        session.run_with_recovery(|st, link| {
            st.read_sn_icc(link)?;
            let constants = known.take().and_then(|f| f(&st.card.sn_icc)).and_then(|bytes| {
                CardConstants::decode(&bytes).map_err(|e| tracing::info!("stored card constants unusable: {e}")).ok()
            });
            if constants.is_some_and(|c| st.adopt_constants(c)) {
                return Ok(());
            }
            st.read_static(link)
        })?;
        Ok(session)
    }

    /// The card's constants for a store, once after they were read from the card and confirmed
    /// by a secure channel (so a caller stores only what works); `None` otherwise.
    pub fn constants_to_store(&mut self) -> Option<Vec<u8>> {
        let st = &mut self.state;
        if !st.card.constants_to_store || st.channel.is_none() {
            return None;
        }
        let (Some(group), Some(ca)) = (&st.card.group, &st.card.ca) else { return None };
        st.card.constants_to_store = false;
        Some(
            CardConstants {
                root: st.card.generation.root_select(),
                nis: st.card.nis.clone(),
                chip_key_der: st.card.chip_key_der.clone(),
                group: group.clone(),
                ca: ca.clone(),
            }
            .encode(),
        )
    }
}
