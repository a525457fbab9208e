//! BER-TLV helpers over the `iso7816-tlv` crate, for the data objects of GET DATA answers
//! (PROTOCOL.md §4.1-§4.3).

use iso7816_tlv::ber::{Tag, Tlv, Value};

use crate::error::{Error, Result};

/// Parses one BER-TLV object at the start of `data` (trailing bytes are ignored).
pub fn parse(data: &[u8]) -> Result<Tlv> {
    Tlv::parse(data).0.map_err(|e| Error::malformed(format!("TLV: {e:?}")))
}

fn tag(t: u32) -> Result<Tag> {
    Tag::try_from(t).map_err(|_| Error::malformed(format!("invalid tag {t:X}")))
}

/// The direct child of a constructed object with tag `t`.
pub fn child(tlv: &Tlv, t: u32) -> Result<&Tlv> {
    let want = tag(t)?;
    match tlv.value() {
        Value::Constructed(children) => children
            .iter()
            .find(|c| *c.tag() == want)
            .ok_or_else(|| Error::malformed(format!("tag {t:X} missing in {}", tlv.tag()))),
        Value::Primitive(_) => Err(Error::malformed(format!("{} is not constructed", tlv.tag()))),
    }
}

/// The children of a constructed object, in order.
pub fn children(tlv: &Tlv) -> Result<&[Tlv]> {
    match tlv.value() {
        Value::Constructed(children) => Ok(children),
        Value::Primitive(_) => Err(Error::malformed(format!("{} is not constructed", tlv.tag()))),
    }
}

/// The value of a primitive object.
pub fn primitive(tlv: &Tlv) -> Result<&[u8]> {
    match tlv.value() {
        Value::Primitive(v) => Ok(v),
        Value::Constructed(_) => Err(Error::malformed(format!("{} is not primitive", tlv.tag()))),
    }
}

/// Follows `path` (the outermost tag first, which must be the tag of `data`'s object) and
/// returns the value of the primitive object at its end.
pub fn value_at(data: &[u8], path: &[u32]) -> Result<Vec<u8>> {
    let root = parse(data)?;
    let (first, rest) = path.split_first().ok_or_else(|| Error::malformed("empty TLV path"))?;
    if *root.tag() != tag(*first)? {
        return Err(Error::malformed(format!("expected tag {first:X}, found {}", root.tag())));
    }
    let mut cur = &root;
    for t in rest {
        cur = child(cur, *t)?;
    }
    Ok(primitive(cur)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_trim() {
        let q = [0x70, 0x08, 0xBF, 0xA1, 0x01, 0x04, 0xA3, 0x02, 0x99, 0x00];
        assert_eq!(value_at(&q, &[0x70, 0xBFA101, 0xA3, 0x99]).unwrap(), Vec::<u8>::new());
        let y = [0xA6, 0x04, 0x91, 0x02, 0xAB, 0xCD];
        assert_eq!(value_at(&y, &[0xA6, 0x91]).unwrap(), [0xAB, 0xCD]);
        assert!(value_at(&y, &[0x70, 0x91]).is_err());
        assert!(value_at(&y[..4], &[0xA6, 0x91]).is_err());
    }
}
