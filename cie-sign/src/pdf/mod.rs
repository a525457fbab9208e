//! PDF structure below [`crate::pades`]: bounded walks ([`walk`]), the revisions of an
//! incrementally updated file and the signature dictionaries each one holds ([`revisions`]),
//! the difference analysis between a signed revision and a later one ([`diff`]), bounded
//! loading ([`load`]) and the rebuilding of a damaged cross-reference table it falls back on
//! ([`rebuild`]), and the document security store ([`dss`]). Layers point one way: `pades`
//! uses all of them, `revisions` uses `diff` (its rule types), `walk` and `load`, `load` uses
//! `rebuild`, `diff` and `dss` use `walk`, and `walk` and `rebuild` only lopdf.

pub(crate) mod diff;
pub(crate) mod dss;
pub(crate) mod load;
pub(crate) mod rebuild;
pub(crate) mod revisions;
pub(crate) mod walk;
