//! PDF structure below [`crate::pades`]: bounded walks ([`walk`]), the revisions of an
//! incrementally updated file and the signature dictionaries each one holds ([`revisions`]),
//! and the difference analysis between a signed revision and a later one ([`diff`]). Layers
//! point one way: `pades` uses all three, `revisions` uses `diff` (its rule types) and `walk`,
//! `diff` uses `walk`, and `walk` only lopdf.

pub(crate) mod diff;
pub(crate) mod load;
pub(crate) mod revisions;
pub(crate) mod walk;
