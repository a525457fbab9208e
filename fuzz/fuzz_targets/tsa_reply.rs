//! A TSA's answer (RFC 3161 §2.4.2) on hostile bytes: what `cie sign --timestamp` reads from
//! the network. Input: `[imprint 32][nonce 8][reply]`.
//!
//! `tsa::token_from_reply(reply, imprint, nonce)` (TimeStampResp, PKIStatusInfo, the token's
//! SignedData and TSTInfo, the imprint and nonce checks); the reply is also read as a TSTInfo
//! alone (`timestamp::TstInfo::from_der`, genTime with fractions).
#![no_main]

use cie_sign::timestamp::TstInfo;
use cie_sign::tsa;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((imprint, rest)) = data.split_at_checked(32) else { return };
    let Some((nonce, reply)) = rest.split_at_checked(8) else { return };
    if let Ok(token) = tsa::token_from_reply(reply, imprint, nonce) {
        assert!(!token.is_empty());
    }
    if let Ok(info) = TstInfo::from_der(reply) {
        let _ = info.check_imprint(imprint);
    }
});
