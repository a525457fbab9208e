//! PDF structure below [`crate::pades`]: bounded walks ([`walk`]), the revisions of an
//! incrementally updated file and the signature dictionaries each one holds ([`revisions`]),
//! the difference analysis between a signed revision and a later one ([`diff`]), and the
//! document security store ([`dss`]). Layers point one way: `pades` uses them all, `revisions`
//! uses `diff` (its rule types) and `walk`, `diff` and `dss` use `walk`, and `walk` only lopdf.

pub(crate) mod diff;
pub(crate) mod dss;
pub(crate) mod load;
pub(crate) mod revisions;
pub(crate) mod walk;
