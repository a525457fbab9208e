//! TEMPORARY local stand-in (not committed).
pub struct DataGroup<'a> { pub number: u8, pub content: &'a [u8] }
#[derive(Debug)]
pub struct SodReport { pub checked: Vec<u8> }
pub fn verify_sod(_sod: &[u8], _groups: &[DataGroup<'_>], _csca: Option<&[u8]>) -> crate::Result<SodReport> { Err(crate::Error::PassiveAuthentication("stand-in".into())) }
