//! Bounded walks over a PDF's trees (ISO 32000-1 §7.7.3 page tree, §12.7.3.1 field tree): each
//! indirect object is entered at most once (cycle detection by object identity), nesting is
//! limited to [`MAX_DEPTH`] and the number of nodes to [`MAX_NODES`]; walks use explicit stacks,
//! never recursion, so no document can exhaust the stack or loop.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::{Error, Result};

/// Deepest page tree or field tree accepted (real documents nest a handful of levels).
pub const MAX_DEPTH: usize = 64;
/// Most nodes (direct and indirect) one walk visits before giving up with [`Error::Limit`].
pub const MAX_NODES: usize = 1_000_000;
/// Most nodes of the form field tree.
pub const MAX_FIELDS: usize = 100_000;
/// Longest field name kept, in characters (a longer one is cut and ends with `…`), so that
/// names repeated down a tree cannot multiply memory.
pub const MAX_NAME: usize = 256;

/// One step through a reference: the object `obj` names (itself when direct) and its id;
/// `None` for a dangling reference or a reference to a reference.
pub(crate) fn resolve<'a>(doc: &'a Document, obj: &'a Object) -> Option<(Option<ObjectId>, &'a Object)> {
    match obj {
        Object::Reference(id) => match doc.objects.get(id) {
            Some(Object::Reference(_)) | None => None,
            Some(o) => Some((Some(*id), o)),
        },
        o => Some((None, o)),
    }
}

/// The dictionary `obj` is or names (a stream's dictionary too).
pub(crate) fn dict_of<'a>(doc: &'a Document, obj: &'a Object) -> Option<(Option<ObjectId>, &'a Dictionary)> {
    match resolve(doc, obj)? {
        (id, Object::Dictionary(d)) => Some((id, d)),
        (id, Object::Stream(s)) => Some((id, &s.dict)),
        _ => None,
    }
}

/// The array `obj` is or names.
pub(crate) fn array_of<'a>(doc: &'a Document, obj: &'a Object) -> Option<(Option<ObjectId>, &'a [Object])> {
    match resolve(doc, obj)? {
        (id, Object::Array(a)) => Some((id, a.as_slice())),
        _ => None,
    }
}

/// `dict[key]` resolved to a dictionary.
pub(crate) fn get_dict<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Dictionary> {
    dict_of(doc, dict.get(key).ok()?).map(|(_, d)| d)
}

/// The trailer's /Root: its id and the catalogue (ISO 32000-1 §7.7.2).
pub(crate) fn catalog(doc: &Document) -> Option<(ObjectId, &Dictionary)> {
    let id = doc.trailer.get(b"Root").ok()?.as_reference().ok()?;
    Some((id, doc.objects.get(&id)?.as_dict().ok()?))
}

/// Counts nodes against [`MAX_NODES`].
pub(crate) struct Budget {
    left: usize,
    what: &'static str,
    limit: usize,
}

impl Budget {
    pub(crate) fn new(what: &'static str) -> Budget {
        Budget::with(what, MAX_NODES)
    }

    pub(crate) fn with(what: &'static str, limit: usize) -> Budget {
        Budget { left: limit, what, limit }
    }

    pub(crate) fn tick(&mut self) -> Result<()> {
        match self.left.checked_sub(1) {
            Some(l) => {
                self.left = l;
                Ok(())
            }
            None => Err(Error::Limit(format!("the {} has more than {} objects", self.what, self.limit))),
        }
    }
}

/// The pages of a document in order, and the intermediate nodes of its page tree.
#[derive(Debug, Default)]
pub(crate) struct PageTree {
    /// The leaves (/Type /Page), in document order.
    pub pages: Vec<ObjectId>,
    /// The intermediate nodes (/Type /Pages) that are indirect objects.
    pub nodes: Vec<ObjectId>,
}

/// Walks the page tree from the catalogue's /Pages (ISO 32000-1 §7.7.3.2): a node entered twice
/// (a cycle, or a page listed twice), a tree deeper than [`MAX_DEPTH`] or a page that is not
/// an indirect object is an error. A document without /Pages has no page.
pub(crate) fn page_tree(doc: &Document) -> Result<PageTree> {
    let mut tree = PageTree::default();
    let Some(top) = catalog(doc).and_then(|(_, c)| c.get(b"Pages").ok()) else {
        return Ok(tree);
    };
    let mut seen = HashSet::new();
    let mut budget = Budget::new("page tree");
    let mut stack: Vec<(&Object, usize)> = vec![(top, 0)];
    while let Some((obj, depth)) = stack.pop() {
        budget.tick()?;
        if depth > MAX_DEPTH {
            return Err(Error::Limit(format!("the page tree is deeper than {MAX_DEPTH} levels")));
        }
        if let Object::Reference(id) = obj {
            if !seen.insert(*id) {
                return Err(Error::Pdf(format!("the page tree enters object {} twice (a cycle)", id.0)));
            }
        }
        let Some((id, node)) = dict_of(doc, obj) else { continue };
        let kids = node.get(b"Kids").ok().and_then(|k| {
            if let Object::Reference(kid) = k {
                if !seen.insert(*kid) {
                    return None;
                }
            }
            array_of(doc, k)
        });
        match (node.get_type().ok(), kids) {
            (Some(b"Pages"), Some((_, kids))) | (None, Some((_, kids))) => {
                if let Some(id) = id {
                    tree.nodes.push(id);
                }
                for k in kids.iter().rev() {
                    stack.push((k, depth + 1));
                }
            }
            (Some(b"Pages"), None) if node.has(b"Kids") => {
                return Err(Error::Pdf("the page tree's /Kids is not an array or enters an array twice".into()))
            }
            (Some(b"Pages"), None) => {}
            _ => match id {
                Some(id) => tree.pages.push(id),
                None => return Err(Error::Pdf("the page tree holds a page that is not an indirect object".into())),
            },
        }
    }
    Ok(tree)
}

/// One node of the interactive form's field tree (ISO 32000-1 §12.7.3.1).
#[derive(Debug)]
pub(crate) struct Field<'a> {
    /// The fully qualified name (§12.7.3.2).
    pub name: String,
    /// The field type, inherited from the ancestors when absent.
    pub ft: Option<Vec<u8>>,
    /// The object id when the node is an indirect object.
    pub id: Option<ObjectId>,
    /// The node's dictionary.
    pub dict: &'a Dictionary,
    /// A terminal field (its kids, if any, are widget annotations).
    pub terminal: bool,
    /// The widget annotations that are the field's kids (not the field itself when merged).
    pub widgets: Vec<ObjectId>,
    /// The id of the /Kids array when it is an indirect object.
    pub kids: Option<ObjectId>,
}

impl Field<'_> {
    /// A signature field (/FT /Sig).
    pub(crate) fn is_signature(&self) -> bool {
        self.ft.as_deref() == Some(b"Sig")
    }
}

/// The AcroForm of the catalogue: its id (when indirect), its dictionary, and the id of its
/// /Fields array (when indirect).
pub(crate) fn acroform(doc: &Document) -> Option<(Option<ObjectId>, &Dictionary, Option<ObjectId>)> {
    let (_, cat) = catalog(doc)?;
    let (id, acro) = dict_of(doc, cat.get(b"AcroForm").ok()?)?;
    let fields_id = acro.get(b"Fields").ok().and_then(|f| f.as_reference().ok());
    Some((id, acro, fields_id))
}

/// Every node of the field tree, in document order, walked from /AcroForm /Fields: nodes
/// entered twice are skipped, a tree deeper than [`MAX_DEPTH`] or larger than [`MAX_NODES`]
/// is an error.
pub(crate) fn fields(doc: &Document) -> Result<Vec<Field<'_>>> {
    let mut out = Vec::new();
    let Some((_, acro, _)) = acroform(doc) else { return Ok(out) };
    let mut seen = HashSet::new();
    let Some(list) = acro.get(b"Fields").ok().and_then(|f| enter_array(doc, f, &mut seen)) else {
        return Ok(out);
    };
    let mut budget = Budget::with("form field tree", MAX_FIELDS);
    let mut stack: Vec<(&Object, String, Option<Vec<u8>>, usize)> =
        list.iter().rev().map(|o| (o, String::new(), None, 0)).collect();
    while let Some((obj, parent, parent_ft, depth)) = stack.pop() {
        budget.tick()?;
        if depth > MAX_DEPTH {
            return Err(Error::Limit(format!("the form field tree is deeper than {MAX_DEPTH} levels")));
        }
        if let Object::Reference(id) = obj {
            if !seen.insert(*id) {
                continue;
            }
        }
        let Some((id, dict)) = dict_of(doc, obj) else { continue };
        let part = dict.get(b"T").and_then(Object::as_str).map(|t| String::from_utf8_lossy(t).into_owned()).ok();
        let mut name = match (parent.is_empty(), part) {
            (_, None) => parent.clone(),
            (true, Some(p)) => p,
            (false, Some(p)) => format!("{parent}.{p}"),
        };
        if let Some((cut, _)) = name.char_indices().nth(MAX_NAME) {
            name.truncate(cut);
            name.push('…');
        }
        let ft = dict.get(b"FT").and_then(Object::as_name).map(<[u8]>::to_vec).ok().or(parent_ft);
        let kids_id = dict.get(b"Kids").ok().and_then(|k| k.as_reference().ok());
        let kids = dict.get(b"Kids").ok().and_then(|k| enter_array(doc, k, &mut seen)).unwrap_or(&[]);
        let mut field_kids = Vec::new();
        let mut widgets = Vec::new();
        for k in kids {
            budget.tick()?;
            match dict_of(doc, k) {
                Some((_, d)) if d.has(b"T") => field_kids.push(k),
                Some((Some(wid), _)) => widgets.push(wid),
                _ => {}
            }
        }
        let terminal = field_kids.is_empty();
        for k in field_kids.iter().rev() {
            stack.push((k, name.clone(), ft.clone(), depth + 1));
        }
        out.push(Field { name, ft, id, dict, terminal, widgets, kids: kids_id });
    }
    Ok(out)
}

/// The array `obj` is or names, entering an indirect array only once.
fn enter_array<'a>(doc: &'a Document, obj: &'a Object, seen: &mut HashSet<ObjectId>) -> Option<&'a [Object]> {
    if let Object::Reference(id) = obj {
        if !seen.insert(*id) {
            return None;
        }
    }
    array_of(doc, obj).map(|(_, a)| a)
}
