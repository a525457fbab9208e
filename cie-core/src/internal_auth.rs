//! Key `83` internal authentication, the card's anti-clone proof (PROTOCOL.md §2.3, §7.1,
//! §8.4; IAS-ECC §5.2.3.5.1): after `MSE SET 41 A4 80 01 02 84 01 83` the card answers INTERNAL
//! AUTHENTICATE of a challenge with the raw RSA signature of the challenge in PKCS#1 v1.5 block
//! type 1 (no DigestInfo). The public half is EF.Servizi_Int.Kpub (`1005`), whose hash EF.SOD
//! signs (DG `A5`), so a verified answer shows the chip holds the key of the genuine card.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::RsaPublicKey;

use crate::certificate;
use crate::error::{Error, Result};
use crate::sod::der_trim;

/// The key of EF.Servizi_Int.Kpub as read from the card: a PKCS#1 `RSAPublicKey`, possibly
/// followed by zero padding.
pub fn servizi_key(ef_1005: &[u8]) -> Result<RsaPublicKey> {
    RsaPublicKey::from_pkcs1_der(der_trim(ef_1005)?).map_err(|_| Error::malformed("EF 1005 is not an RSA public key"))
}

/// Checks the card's key-`83` answer to `challenge` with the content of EF 1005: the answer
/// must be as long as the modulus and recover to `00 01 FF..FF 00 || challenge`.
pub fn verify_answer(ef_1005: &[u8], challenge: &[u8], answer: &[u8]) -> Result<()> {
    certificate::verify_digest_info(&servizi_key(ef_1005)?, challenge, answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SignatureError;

    #[test]
    fn an_answer_verifies_and_a_wrong_one_does_not() {
        let image = cie_sim::fixtures::card_image(cie_sim::image::SodProfile::Sha256Pkcs1);
        let challenge = cie_sim::fixtures::TEST_NIS.as_bytes();
        let answer = image.key_servizi.sign(rsa::Pkcs1v15Sign::new_unprefixed(), challenge).unwrap();
        let mut padded = image.servizi_kpub.clone();
        padded.extend_from_slice(&[0; 30]);
        assert!(verify_answer(&padded, challenge, &answer).is_ok());
        assert!(matches!(
            verify_answer(&image.servizi_kpub, b"000000000000", &answer),
            Err(Error::CardSignature(SignatureError::DoesNotVerify))
        ));
        assert!(matches!(
            verify_answer(&image.servizi_kpub, challenge, &answer[1..]),
            Err(Error::CardSignature(SignatureError::WrongLength { .. }))
        ));
        assert!(matches!(verify_answer(&[0x30, 0x03, 0x02, 0x01, 0x01], challenge, &answer), Err(Error::Malformed(_))));
    }
}
