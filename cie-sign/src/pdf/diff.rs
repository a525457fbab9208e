//! Difference analysis between a signed revision and a later one of the same file (ISO 32000-1
//! §7.5.6 incremental updates; ISO 32000-2 §12.8.2.2-4 DocMDP and FieldMDP): which objects the
//! later revision changes, and whether each change is one the signatures permit.
//!
//! Objects are compared by value (an object written again identically is no change; cross-
//! reference and object streams are structure, not content). The roles that may change are
//! judged by rules: the catalogue (only /AcroForm, /DSS, /Extensions, /Version, /Metadata), the
//! interactive form and its field tree, signature dictionaries, the page tree, each page and
//! its annotations. Every other changed object that the new revision reaches from /Root
//! through a path the rules do not open (page contents, resources, fonts, the catalogue's other
//! entries, signed dictionaries...) is a modification, named after the first path found.
//! Paths the rules open are /DSS and everything below it, new signature dictionaries and the
//! appearances of new signature fields and of signature fields signed now, and, as DocMDP
//! permits, field values and appearances (P=2) and annotations (P=3). A revision that signs
//! may add entries to the form's default resources (/DR: new fonts for the new appearance,
//! existing entries kept), and set the signed field's flags (/F, /Ff), /DA and /Q. An
//! appearance may change only if it is the field's own: an /AP dictionary or appearance
//! stream that the signed revision also references from elsewhere (the catalogue, the
//! trailer, another field, a page) must not be replaced or rewritten. Objects reached from
//! nothing in /Root cannot change what is shown and are allowed; changes of the trailer's
//! /Info and of /Metadata are notes.

use std::collections::{HashMap, HashSet, VecDeque};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::walk::{self, array_of, dict_of, Budget, Field};
use crate::change::{BadSignature, Change, Part, Place, Refusal};
use crate::reason::Reason;
use crate::Result;

/// What may change after a signature (ISO 32000-2 §12.8.2.2.2 table 257).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// DocMDP P=1: nothing but PAdES validation data (/DSS) and document timestamps
    /// (ETSI EN 319 142-1 §5.4).
    Nothing,
    /// No DocMDP: further signatures (and validation data) only.
    Signatures,
    /// DocMDP P=2: also filling in form fields.
    FormFilling,
    /// DocMDP P=3: also adding, changing and deleting annotations.
    Annotations,
}

impl Level {
    /// The level of a DocMDP /P (a value other than 1 or 3 counts as the default, 2).
    pub(crate) fn from_p(p: i64) -> Level {
        match p {
            1 => Level::Nothing,
            3 => Level::Annotations,
            _ => Level::FormFilling,
        }
    }
}

/// The fields a FieldMDP transform locks (ISO 32000-1 §12.8.2.4, §12.7.4.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Every field.
    All,
    /// The fields named.
    Include(Vec<String>),
    /// Every field but those named.
    Exclude(Vec<String>),
}

impl Lock {
    /// Whether the field `name` (or a field it descends from) is locked.
    fn covers(&self, name: &str) -> bool {
        let named = |list: &[String]| {
            list.iter().any(|n| name == n || name.strip_prefix(n.as_str()).is_some_and(|r| r.starts_with('.')))
        };
        match self {
            Lock::All => true,
            Lock::Include(l) => named(l),
            Lock::Exclude(l) => !named(l),
        }
    }
}

/// What the signatures over the older revision permit.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    /// The DocMDP level.
    pub level: Level,
    /// FieldMDP locks, each with the field name of the signature that set it.
    pub locks: Vec<(String, Lock)>,
}

/// The result: changes not permitted, and observations.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// One change not permitted each.
    pub modifications: Vec<Change>,
    /// Permitted changes worth saying.
    pub notes: Vec<Reason>,
}

/// Most modifications listed one by one; the rest are counted in a last sentence.
const MAX_LISTED: usize = 100;

impl Outcome {
    fn modified(&mut self, s: Change) {
        if self.modifications.contains(&s) {
            return;
        }
        match self.modifications.len() {
            n if n < MAX_LISTED => self.modifications.push(s),
            MAX_LISTED => self.modifications.push(Change::More),
            _ => {}
        }
    }
}

/// Structural equality of two objects, streams compared by dictionary and bytes.
pub(crate) fn same(a: &Object, b: &Object) -> bool {
    let mut stack = vec![(a, b)];
    while let Some((a, b)) = stack.pop() {
        match (a, b) {
            (Object::Array(x), Object::Array(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                stack.extend(x.iter().zip(y.iter()));
            }
            (Object::Dictionary(x), Object::Dictionary(y)) => {
                if !same_dict(x, y, &mut stack) {
                    return false;
                }
            }
            (Object::Stream(x), Object::Stream(y)) => {
                if x.content != y.content || !same_dict(&x.dict, &y.dict, &mut stack) {
                    return false;
                }
            }
            (Object::Real(x), Object::Real(y)) => {
                if x.to_bits() != y.to_bits() {
                    return false;
                }
            }
            (Object::String(x, _), Object::String(y, _)) => {
                if x != y {
                    return false;
                }
            }
            (x, y) => {
                if std::mem::discriminant(x) != std::mem::discriminant(y) || x != y {
                    return false;
                }
            }
        }
    }
    true
}

fn same_dict<'a>(x: &'a Dictionary, y: &'a Dictionary, stack: &mut Vec<(&'a Object, &'a Object)>) -> bool {
    if x.len() != y.len() {
        return false;
    }
    for (k, v) in x.iter() {
        match y.get(k) {
            Ok(w) => stack.push((v, w)),
            Err(_) => return false,
        }
    }
    true
}

/// The keys whose values differ between two dictionaries (absent counts as different).
fn changed_keys<'a>(old: &'a Dictionary, new: &'a Dictionary) -> Vec<&'a [u8]> {
    let mut keys: Vec<&[u8]> = Vec::new();
    for (k, v) in new.iter() {
        if !old.get(k).is_ok_and(|o| same(o, v)) {
            keys.push(k);
        }
    }
    for (k, _) in old.iter() {
        if !new.has(k) {
            keys.push(k);
        }
    }
    keys
}

fn key_list(keys: &[&[u8]]) -> String {
    keys.iter().map(|k| format!("/{}", String::from_utf8_lossy(k))).collect::<Vec<_>>().join(", ")
}

/// The role an object of the new revision plays, judged by its own rule.
#[derive(Clone, Debug)]
enum Role {
    Catalog,
    AcroForm,
    FieldsArray,
    /// A field node (index into the new revision's fields).
    Field(usize),
    /// A widget annotation kid of a field.
    Widget(usize),
    PageNode,
    Page(usize),
    AnnotsArray(usize),
    Annotation(usize),
    /// The signature dictionary of a field.
    SigDict(usize),
    /// A field's /Kids array, a new indirect object (its entries are judged with the field).
    KidsArray(usize),
}

/// Where a path runs, for naming what changed.
#[derive(Clone, Debug)]
enum Ctx {
    Catalog(String),
    FormResources,
    /// Below an entry added to the form's default resources: new objects are allowed.
    NewResources,
    Field(String),
    Appearance(String),
    SigDict(String),
    PageTree,
    Page(usize),
    Content(usize),
    Resources(usize),
    Font(usize),
    Annotation(usize),
}

impl Ctx {
    fn sentence(&self, id: ObjectId) -> Change {
        let part = match self {
            Ctx::Catalog(k) => Part::Catalogue(k.clone()),
            Ctx::FormResources | Ctx::NewResources => Part::FormResources,
            Ctx::Field(f) => Part::Field(f.clone()),
            Ctx::Appearance(f) => Part::Appearance(f.clone()),
            Ctx::SigDict(f) => Part::SignatureDictionary(f.clone()),
            Ctx::PageTree => Part::PageTree,
            Ctx::Page(p) => Part::Page(*p),
            Ctx::Content(p) => Part::Content(*p),
            Ctx::Resources(p) => Part::Resources(*p),
            Ctx::Font(p) => Part::Font(*p),
            Ctx::Annotation(p) => Part::Annotation(*p),
        };
        Change::Object { part, object: id.0 }
    }
}

/// The structure of one revision.
struct Layout<'a> {
    root: Option<ObjectId>,
    catalog: Option<&'a Dictionary>,
    acroform: Option<(Option<ObjectId>, &'a Dictionary, Option<ObjectId>)>,
    fields: Vec<Field<'a>>,
    pages: walk::PageTree,
    /// Per page: the /Annots array's id when indirect, and the annotations.
    annots: Vec<(Option<ObjectId>, Vec<&'a Object>)>,
    /// Field index by object id.
    field_ids: HashMap<ObjectId, usize>,
}

impl<'a> Layout<'a> {
    fn of(doc: &'a Document) -> Result<Layout<'a>> {
        let cat = walk::catalog(doc);
        let pages = walk::page_tree(doc)?;
        let mut budget = Budget::new("annotation lists");
        let mut annots = Vec::with_capacity(pages.pages.len());
        for p in &pages.pages {
            let page = doc.objects.get(p).and_then(|o| o.as_dict().ok());
            let list = page.and_then(|d| d.get(b"Annots").ok()).and_then(|a| array_of(doc, a));
            let (id, items) = list.unwrap_or((None, &[]));
            for _ in items {
                budget.tick()?;
            }
            annots.push((id, items.iter().collect()));
        }
        let fields = walk::fields(doc)?;
        let field_ids = fields.iter().enumerate().filter_map(|(i, f)| f.id.map(|id| (id, i))).collect();
        Ok(Layout {
            root: cat.map(|(id, _)| id),
            catalog: cat.map(|(_, c)| c),
            acroform: walk::acroform(doc),
            fields,
            pages,
            annots,
            field_ids,
        })
    }

    /// The field whose node or kid widget is `id`.
    fn field_by_id(&self, id: ObjectId) -> Option<&Field<'a>> {
        self.fields.get(*self.field_ids.get(&id)?)
    }
}

/// Whether an annotation has an area on the page (/Rect wider and taller than zero).
fn visible(doc: &Document, annot: &Object) -> bool {
    let rect = dict_of(doc, annot).and_then(|(_, d)| d.get(b"Rect").ok()).and_then(|r| array_of(doc, r));
    let n: Vec<f32> = rect.map(|(_, r)| r.iter().filter_map(|v| v.as_float().ok()).collect()).unwrap_or_default();
    matches!(n.as_slice(), [a, b, c, d] if (c - a).abs() > 0.0 && (d - b).abs() > 0.0)
}

fn subtype(doc: &Document, annot: &Object) -> Vec<u8> {
    dict_of(doc, annot)
        .and_then(|(_, d)| d.get(b"Subtype").and_then(Object::as_name).ok())
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// Compares `old` (a signed revision) with `new` (a later revision of the same file).
pub(crate) fn analyse(old: &Document, new: &Document, rules: &Rules) -> Result<Outcome> {
    let a = Analysis::new(old, new, rules)?;
    a.run()
}

struct Analysis<'a> {
    old: &'a Document,
    new: &'a Document,
    rules: &'a Rules,
    lo: Layout<'a>,
    ln: Layout<'a>,
    roles: HashMap<ObjectId, Role>,
    /// The form's default resources changed by additions only, in a revision that signs.
    dr: Option<DrAdditions>,
    /// The newer revision adds a signature (a signature field gets its value).
    signing: bool,
    /// Where the appearance objects of the older revision's fields are referenced there.
    usages: Usages,
    out: Outcome,
}

/// Changes of the interactive form's default resources (/DR) that only add entries.
#[derive(Debug, Default)]
struct DrAdditions {
    /// The /DR dictionary and its resource category dictionaries, when indirect: compared
    /// entry by entry.
    judged: HashSet<ObjectId>,
    /// The objects the added entries name.
    added: HashSet<ObjectId>,
}

/// For some objects of a revision, where they are referenced: the object holding the
/// reference (`None` for the trailer) and the key of that object it sits under.
type Usages = HashMap<ObjectId, Vec<(Option<ObjectId>, Vec<u8>)>>;

/// Most places recorded per object in [`Usages`].
const MAX_USAGES: usize = 8;

impl<'a> Analysis<'a> {
    fn new(old: &'a Document, new: &'a Document, rules: &'a Rules) -> Result<Analysis<'a>> {
        let lo = Layout::of(old)?;
        let ln = Layout::of(new)?;
        let mut roles = HashMap::new();
        for (i, (aid, list)) in ln.annots.iter().enumerate() {
            if let Some(id) = aid {
                roles.insert(*id, Role::AnnotsArray(i));
            }
            for a in list {
                if let Object::Reference(id) = a {
                    roles.insert(*id, Role::Annotation(i));
                }
            }
        }
        for id in &ln.pages.nodes {
            roles.insert(*id, Role::PageNode);
        }
        for (i, id) in ln.pages.pages.iter().enumerate() {
            roles.insert(*id, Role::Page(i));
        }
        for (i, f) in ln.fields.iter().enumerate() {
            for w in &f.widgets {
                roles.insert(*w, Role::Widget(i));
            }
            if let Some(id) = f.id {
                roles.insert(id, Role::Field(i));
            }
            if f.is_signature() {
                if let Ok(Object::Reference(v)) = f.dict.get(b"V") {
                    roles.entry(*v).or_insert(Role::SigDict(i));
                }
            }
        }
        if let Some((id, _, fid)) = &ln.acroform {
            if let Some(fid) = fid {
                roles.insert(*fid, Role::FieldsArray);
            }
            if let Some(id) = id {
                roles.insert(*id, Role::AcroForm);
            }
        }
        if let Some(r) = ln.root {
            roles.insert(r, Role::Catalog);
        }
        for (i, f) in ln.fields.iter().enumerate() {
            if let Some(k) = f.kids.filter(|k| !old.objects.contains_key(k)) {
                roles.entry(k).or_insert(Role::KidsArray(i));
            }
        }
        let signing = ln.fields.iter().any(|f| {
            f.is_signature()
                && f.dict.has(b"V")
                && f.id.and_then(|id| lo.field_by_id(id)).is_none_or(|o| !o.dict.has(b"V"))
        });
        let dr = if signing && rules.level == Level::Signatures {
            dr_additions(old, new, lo.acroform.map(|(_, d, _)| d), ln.acroform.map(|(_, d, _)| d))
        } else {
            None
        };
        let usages = usages(old, &appearance_objects(old, &lo.fields))?;
        Ok(Analysis { old, new, rules, lo, ln, roles, dr, signing, usages, out: Outcome::default() })
    }

    /// An object whose id the older revision does not use.
    fn fresh(&self, id: ObjectId) -> bool {
        !self.old.objects.contains_key(&id)
    }

    fn changed(&self, id: ObjectId) -> bool {
        match (self.old.objects.get(&id), self.new.objects.get(&id)) {
            (Some(a), Some(b)) => !same(a, b),
            (None, None) => false,
            _ => true,
        }
    }

    /// A value that changed: a reference to another object, or a direct value that differs.
    fn changed_value(&self, old: Option<&Object>, new: Option<&Object>) -> bool {
        match (old, new) {
            (Some(a), Some(b)) => !same(a, b),
            (None, None) => false,
            _ => true,
        }
    }

    fn permits_form_filling(&self, field: &str) -> Option<Refusal> {
        if self.rules.level < Level::FormFilling {
            return Some(match self.rules.level {
                Level::Nothing => Refusal::CertificationForbids,
                _ => Refusal::NotPermitted,
            });
        }
        self.rules.locks.iter().find(|(_, l)| l.covers(field)).map(|(s, _)| Refusal::LockedBy(s.clone()))
    }

    fn run(mut self) -> Result<Outcome> {
        self.catalog();
        self.form();
        self.pages();
        self.walk()?;
        self.info();
        Ok(self.out)
    }

    /// The catalogue's entries (ISO 32000-1 §7.7.2).
    fn catalog(&mut self) {
        if self.lo.root != self.ln.root {
            self.out.modified(Change::CatalogueReplaced);
        }
        let empty = Dictionary::new();
        let old = self.lo.catalog.unwrap_or(&empty);
        let new = self.ln.catalog.unwrap_or(&empty);
        let mut bad = Vec::new();
        for k in changed_keys(old, new) {
            match k {
                b"AcroForm" | b"DSS" | b"Extensions" | b"Version" => {}
                b"Metadata" => self.out.notes.push(Reason::MetadataChanged),
                b"Pages" => self.out.modified(Change::PageTreeReplaced),
                k => bad.push(k),
            }
        }
        if !bad.is_empty() {
            self.out.modified(Change::CatalogueChanged(key_list(&bad)));
        }
    }

    /// The interactive form (ISO 32000-1 §12.7.2) and its fields (§12.7.3).
    fn form(&mut self) {
        let empty = Dictionary::new();
        let old_af = self.lo.acroform.map_or(&empty, |(_, d, _)| d);
        let new_af = self.ln.acroform.map_or(&empty, |(_, d, _)| d);
        if let (Some((Some(n), _, _)), old) = (self.ln.acroform, self.lo.acroform) {
            if old.and_then(|(id, _, _)| id) != Some(n) && !self.fresh(n) {
                self.out.modified(Change::FormMoved(n.0));
            }
        }
        if let (Some((_, _, Some(n))), old) = (self.ln.acroform, self.lo.acroform) {
            if old.and_then(|(_, _, f)| f) != Some(n) && !self.fresh(n) {
                self.out.modified(Change::FieldListMoved(n.0));
            }
        }
        let mut bad = Vec::new();
        for k in changed_keys(old_af, new_af) {
            match k {
                b"Fields" | b"SigFlags" => {}
                b"DR" | b"DA" | b"NeedAppearances" if self.rules.level >= Level::FormFilling => {}
                // New resources for the appearance of a new signature (Adobe adds its fonts).
                b"DR" if self.dr.is_some() => {}
                // The form's default appearance (a font and size for fields that name none),
                // which signing applications set while adding their signature; no field's
                // value or signed appearance stream changes with it. pyHanko ignores /DA, and
                // DSS finds the signatures of esig/dss's files with such updates valid.
                b"DA" if self.signing => {}
                k => bad.push(k),
            }
        }
        if !bad.is_empty() {
            self.out.modified(Change::FormChanged(key_list(&bad)));
        }
        let key = |f: &Field| f.id.map_or_else(|| format!("name:{}", f.name), |id| format!("{} {}", id.0, id.1));
        let old_keys: HashMap<String, usize> = self.lo.fields.iter().enumerate().map(|(i, f)| (key(f), i)).collect();
        let new_keys: HashSet<String> = self.ln.fields.iter().map(key).collect();
        for f in &self.lo.fields {
            if !new_keys.contains(&key(f)) && f.terminal {
                self.out.modified(Change::FieldRemoved(f.name.clone()));
            }
        }
        for i in 0..self.ln.fields.len() {
            let f = &self.ln.fields[i];
            match old_keys.get(&key(f)) {
                None => self.new_field(i),
                Some(&j) => self.changed_field(j, i),
            }
        }
    }

    /// Whether a signature dictionary `v` (the /V of a signature field) is a new one: a new
    /// object (or direct) of /Type /Sig or /DocTimeStamp; `Err` with the reason otherwise.
    fn new_signature(&self, v: &Object) -> std::result::Result<bool, BadSignature> {
        let timestamp = dict_of(self.new, v).is_some_and(|(_, d)| d.has_type(b"DocTimeStamp"));
        if let Object::Reference(id) = v {
            if !self.fresh(*id) {
                return Err(BadSignature::ReusesDictionary(id.0));
            }
        }
        if dict_of(self.new, v).is_none() {
            return Err(BadSignature::NotSignatureDictionary);
        }
        Ok(timestamp)
    }

    fn new_field(&mut self, i: usize) {
        let f = &self.ln.fields[i];
        let name = crate::verdict::shown(&f.name);
        if let Some(id) = f.id {
            if !self.fresh(id) {
                self.out.modified(Change::FieldAddedInUsedObject(name.clone(), id.0));
                return;
            }
        }
        if !f.is_signature() {
            if f.terminal || f.dict.has(b"FT") {
                self.out.modified(Change::FieldAdded(name.clone()));
            }
            return;
        }
        let Ok(v) = f.dict.get(b"V") else {
            if self.rules.level == Level::Nothing {
                self.out.modified(Change::SignatureFieldForbidden(name.clone()));
            }
            return;
        };
        match self.new_signature(v) {
            Err(why) => self.out.modified(Change::SignatureFieldBad(name.clone(), why)),
            Ok(false) if self.rules.level == Level::Nothing => {
                self.out.modified(Change::SignatureForbidden(name.clone()))
            }
            Ok(_) => {}
        }
    }

    fn changed_field(&mut self, j: usize, i: usize) {
        let (of, nf) = (&self.lo.fields[j], &self.ln.fields[i]);
        let name = crate::verdict::shown(&nf.name);
        let signed_now = nf.is_signature() && !of.dict.has(b"V") && nf.dict.has(b"V");
        let fill = if nf.is_signature() { None } else { Some(self.permits_form_filling(&nf.name)) };
        let mut bad = Vec::new();
        let mut value_changed = false;
        for k in changed_keys(of.dict, nf.dict) {
            match k {
                b"Kids" => {
                    let old_kids = of.dict.get(b"Kids").ok().and_then(|k| array_of(self.old, k)).map(|(_, a)| a);
                    let new_kids = nf.dict.get(b"Kids").ok().and_then(|k| array_of(self.new, k)).map(|(_, a)| a);
                    let (old_kids, new_kids) = (old_kids.unwrap_or(&[]), new_kids.unwrap_or(&[]));
                    if !contains_all(new_kids, old_kids.iter()) {
                        bad.push(k);
                    }
                }
                b"V" if nf.is_signature() => {
                    if signed_now {
                        match nf.dict.get(b"V").map(|v| self.new_signature(v)) {
                            Ok(Err(why)) => self.out.modified(Change::SignedBadly(name.clone(), why)),
                            Ok(Ok(false)) if self.rules.level == Level::Nothing => {
                                self.out.modified(Change::SignatureForbidden(name.clone()))
                            }
                            _ => {}
                        }
                    } else {
                        let (ov, nv) = (of.dict.get(b"V").ok(), nf.dict.get(b"V").ok());
                        match (ov.and_then(|v| dict_of(self.old, v)), nv.and_then(|v| dict_of(self.new, v))) {
                            (Some((Some(a), _)), Some((Some(b), _))) if a != b => {
                                self.out.modified(Change::SignatureReplaced(name.clone()))
                            }
                            (Some((_, a)), Some((_, b))) => {
                                let keys = changed_keys(a, b);
                                self.out.modified(Change::SignatureDictionaryChanged(name.clone(), key_list(&keys)))
                            }
                            _ => self.out.modified(Change::SignatureRemoved(name.clone())),
                        }
                    }
                }
                // Signing sets the field's appearance and, with Adobe, its annotation flags.
                k if signed_now && signing_key(k, of.dict, nf.dict) => {}
                b"V" | b"AP" | b"AS" if !nf.is_signature() => value_changed = true,
                k => bad.push(k),
            }
        }
        if value_changed {
            if let Some(Some(why)) = &fill {
                self.out.modified(Change::ValueChanged(name.clone(), why.clone()));
            }
        }
        if !bad.is_empty() {
            self.out.modified(Change::FieldChanged(name.clone(), key_list(&bad)));
        }
        // The signature dictionary, when indirect and kept.
        if nf.is_signature() && !signed_now {
            if let (Ok(Object::Reference(a)), Ok(Object::Reference(b))) = (of.dict.get(b"V"), nf.dict.get(b"V")) {
                if a == b && self.changed(*a) {
                    let change = match (self.old.objects.get(a), self.new.objects.get(b)) {
                        (Some(Object::Dictionary(x)), Some(Object::Dictionary(y))) => {
                            Change::SignatureDictionaryChanged(name.clone(), key_list(&changed_keys(x, y)))
                        }
                        _ => Change::Object { part: Part::SignatureDictionary(name.clone()), object: a.0 },
                    };
                    self.out.modified(change);
                }
            }
        }
        // Widget kids: their appearance goes with the value.
        for w in &nf.widgets {
            if !self.changed(*w) {
                continue;
            }
            let (Some(Object::Dictionary(x)), Some(Object::Dictionary(y))) =
                (self.old.objects.get(w), self.new.objects.get(w))
            else {
                continue; // a new widget: judged with its page's annotations
            };
            let mut bad = Vec::new();
            let mut appearance = false;
            for k in changed_keys(x, y) {
                match k {
                    b"AP" | b"AS" => appearance = true,
                    k if signed_now && signing_key(k, x, y) => {}
                    k => bad.push(k),
                }
            }
            let ap_ok = signed_now || matches!(fill, Some(None));
            if appearance && !ap_ok {
                self.out.modified(Change::AppearanceChanged(name.clone(), w.0));
            }
            if !bad.is_empty() {
                self.out.modified(Change::WidgetChanged(name.clone(), key_list(&bad)));
            }
        }
        // An appearance that may change must be the field's own, not shared with other parts.
        if signed_now || matches!(fill, Some(None)) {
            let mut found = Vec::new();
            for h in nf.widgets.iter().chain(nf.id.iter()) {
                if let (Some(Object::Dictionary(x)), Some(Object::Dictionary(y))) =
                    (self.old.objects.get(h), self.new.objects.get(h))
                {
                    found.extend(self.shared_appearance(&name, *h, x, y));
                }
            }
            for s in found {
                self.out.modified(s);
            }
        }
    }

    /// The appearance of the widget (or merged field) `holder` changed legitimately from `old`
    /// to `new`: the sentences for each appearance object of the older revision that is also
    /// referenced elsewhere there and is replaced (the /AP dictionary) or rewritten in place
    /// (the dictionary or an appearance stream): changing it would change the other places
    /// too, or at least no longer be the field's own business.
    fn shared_appearance(&self, name: &str, holder: ObjectId, old: &Dictionary, new: &Dictionary) -> Vec<Change> {
        let mut out = Vec::new();
        let Ok(oap) = old.get(b"AP") else { return out };
        let Some((oap_id, oap_dict)) = dict_of(self.old, oap) else { return out };
        // The /AP dictionary, when indirect and shared.
        let shared = oap_id.and_then(|a| Some((a, self.elsewhere(a, holder)?)));
        if let Some((a, place)) = &shared {
            if !new.get(b"AP").is_ok_and(|n| same(oap, n)) || self.changed(*a) {
                out.push(Change::SharedAppearanceDictionary(name.to_owned(), a.0, place.clone()));
            }
        }
        let container = oap_id.unwrap_or(holder);
        for (s, within) in appearance_streams(oap_dict, container) {
            if !self.changed(s) {
                continue;
            }
            let through = || shared.as_ref().map(|(a, p)| Place { through: Some(a.0), ..p.clone() });
            if let Some(place) = self.elsewhere(s, within).or_else(through) {
                out.push(Change::SharedAppearanceStream(name.to_owned(), s.0, place));
            }
        }
        out
    }

    /// A place of the older revision, other than object `own`, that references `id`.
    fn elsewhere(&self, id: ObjectId, own: ObjectId) -> Option<Place> {
        let (holder, key) = self.usages.get(&id)?.iter().find(|(h, _)| *h != Some(own))?;
        let key = (!key.is_empty()).then(|| String::from_utf8_lossy(key).into_owned());
        Some(Place { holder: holder.map(|h| h.0), key, through: None })
    }

    /// The page tree (ISO 32000-1 §7.7.3), each page, and its annotations (§12.5).
    fn pages(&mut self) {
        let (op, np) = (&self.lo.pages.pages, &self.ln.pages.pages);
        let old_set: HashSet<&ObjectId> = op.iter().collect();
        let new_set: HashSet<&ObjectId> = np.iter().collect();
        let added = np.iter().filter(|p| !old_set.contains(p)).count();
        let removed = op.iter().filter(|p| !new_set.contains(p)).count();
        match added {
            0 => {}
            n => self.out.modified(Change::PagesAdded(n)),
        }
        if removed > 0 {
            self.out.modified(Change::PagesRemoved(removed, op.len()));
        }
        let kept_old: Vec<&ObjectId> = op.iter().filter(|p| new_set.contains(p)).collect();
        let kept_new: Vec<&ObjectId> = np.iter().filter(|p| old_set.contains(p)).collect();
        if kept_old != kept_new {
            self.out.modified(Change::PagesReordered);
        }
        let same_leaves = added == 0 && removed == 0;
        let old_nodes: HashSet<&ObjectId> = self.lo.pages.nodes.iter().collect();
        for id in self.ln.pages.nodes.clone() {
            if !self.changed(id) {
                continue;
            }
            let (Some(Object::Dictionary(x)), Some(Object::Dictionary(y))) =
                (self.old.objects.get(&id), self.new.objects.get(&id))
            else {
                if same_leaves || !old_nodes.contains(&id) {
                    self.out.modified(Change::Object { part: Part::PageTree, object: id.0 });
                }
                continue;
            };
            let keys: Vec<&[u8]> =
                changed_keys(x, y).into_iter().filter(|k| !matches!(*k, b"Kids" | b"Count")).collect();
            if !keys.is_empty() {
                self.out.modified(Change::PageTreeChanged(key_list(&keys)));
            } else if same_leaves {
                self.out.modified(Change::Object { part: Part::PageTree, object: id.0 });
            }
        }
        let old_index: HashMap<&ObjectId, usize> = op.iter().enumerate().map(|(i, p)| (p, i)).collect();
        let kept: Vec<(usize, usize, ObjectId)> =
            np.iter().enumerate().filter_map(|(i, id)| old_index.get(id).map(|&j| (j, i, *id))).collect();
        let new_sig_widgets = self.new_signature_widgets();
        for (j, i, id) in kept {
            self.page(j, i, id, &new_sig_widgets);
        }
    }

    fn page(&mut self, j: usize, i: usize, id: ObjectId, new_sig_widgets: &HashSet<ObjectId>) {
        let n = i + 1;
        if let (Some(Object::Dictionary(x)), Some(Object::Dictionary(y))) =
            (self.old.objects.get(&id), self.new.objects.get(&id))
        {
            let mut bad = Vec::new();
            for k in changed_keys(x, y) {
                match k {
                    b"Annots" => {}
                    b"Contents" => self.out.modified(Change::PageContentReplaced(n)),
                    b"Resources" => self.out.modified(Change::PageResourcesReplaced(n)),
                    k => bad.push(k),
                }
            }
            if !bad.is_empty() {
                self.out.modified(Change::PageChanged(n, key_list(&bad)));
            }
        }
        let (oid, old_list) = (self.lo.annots[j].0, self.lo.annots[j].1.clone());
        let (nid, new_list) = (self.ln.annots[i].0, self.ln.annots[i].1.clone());
        if let Some(nid) = nid {
            if oid != Some(nid) && !self.fresh(nid) {
                self.out.modified(Change::AnnotationsMoved(n));
            }
        }
        let annotations = self.rules.level >= Level::Annotations;
        let (old_set, new_set) = (Entries::of(&old_list), Entries::of(&new_list));
        for a in &new_list {
            if old_set.has(a) {
                if let Object::Reference(aid) = a {
                    if self.changed(*aid) && !annotations && !self.is_field_or_widget(*aid) {
                        let what = String::from_utf8_lossy(&subtype(self.new, a)).into_owned();
                        self.out.modified(Change::AnnotationChanged(n, what, aid.0));
                    }
                }
                continue;
            }
            let st = subtype(self.new, a);
            if let Object::Reference(aid) = a {
                if st == b"Widget" && new_sig_widgets.contains(aid) {
                    if visible(self.new, a) {
                        self.out.notes.push(Reason::VisibleSignatureFieldAdded(n));
                    }
                    continue;
                }
                if !self.fresh(*aid) {
                    self.out.modified(Change::AnnotationAddedInUsedObject(n, aid.0));
                    continue;
                }
            }
            if st == b"Widget" {
                self.out.modified(Change::WidgetAdded(n));
            } else if !annotations {
                self.out.modified(Change::AnnotationAdded(n, String::from_utf8_lossy(&st).into_owned()));
            }
        }
        for o in &old_list {
            if new_set.has(o) {
                continue;
            }
            let st = subtype(self.old, o);
            if st == b"Widget" || !annotations {
                self.out.modified(Change::AnnotationRemoved(n, String::from_utf8_lossy(&st).into_owned()));
            }
        }
    }

    fn is_field_or_widget(&self, id: ObjectId) -> bool {
        matches!(self.roles.get(&id), Some(Role::Field(_) | Role::Widget(_)))
    }

    /// The widget annotations of signature fields the older revision does not have.
    fn new_signature_widgets(&self) -> HashSet<ObjectId> {
        let mut out = HashSet::new();
        for f in self.ln.fields.iter().filter(|f| f.is_signature()) {
            let Some(id) = f.id else { continue };
            if self.lo.field_by_id(id).is_some_and(|o| o.dict.has(b"V")) {
                continue;
            }
            out.extend(f.widgets.iter().copied().filter(|w| self.fresh(*w)));
            if self.fresh(id) {
                out.insert(id);
            }
        }
        out
    }

    /// The graph walk from /Root: every changed object reached through a path no rule opens,
    /// and that no rule judges as a whole, is a modification.
    fn walk(&mut self) -> Result<()> {
        let Some(root) = self.ln.root else { return Ok(()) };
        let mut budget = Budget::new("document");
        let mut seen: HashSet<(ObjectId, u8)> = HashSet::new();
        let mut queue: VecDeque<(ObjectId, Option<Ctx>)> = VecDeque::new();
        queue.push_back((root, Some(Ctx::Catalog("/Root".into()))));
        let mut found = Vec::new();
        let empty = DrAdditions::default();
        let dr = self.dr.as_ref().unwrap_or(&empty);
        while let Some((id, mut ctx)) = queue.pop_front() {
            budget.tick()?;
            if matches!(ctx, Some(Ctx::FormResources)) && dr.added.contains(&id) {
                ctx = Some(Ctx::NewResources);
            }
            if !seen.insert((id, mode(ctx.as_ref()))) {
                continue;
            }
            let role = self.roles.get(&id).cloned();
            if let Some(ctx) = &ctx {
                let judged = match ctx {
                    Ctx::FormResources => dr.judged.contains(&id),
                    Ctx::NewResources => self.fresh(id),
                    _ => false,
                };
                if (role.is_none() || foreign(role.as_ref(), ctx)) && !judged && self.changed(id) {
                    found.push(ctx.sentence(id));
                }
            }
            let Some(obj) = self.new.objects.get(&id) else { continue };
            // Direct content, with the path each value runs on (None: a path the rules open).
            let mut stack: Vec<(&Object, Option<Ctx>)> = Vec::new();
            match (obj, &role) {
                (Object::Dictionary(d), Some(role)) => {
                    for (k, v) in d.iter() {
                        match (role, k.as_slice(), v) {
                            // A direct interactive form dictionary follows its own rules.
                            (Role::Catalog, b"AcroForm", Object::Dictionary(af)) => {
                                for (k, v) in af.iter() {
                                    stack.push((v, self.path(&Role::AcroForm, id, k, v, ctx.as_ref())));
                                }
                            }
                            _ => stack.push((v, self.path(role, id, k, v, ctx.as_ref()))),
                        }
                    }
                }
                (Object::Stream(s), Some(role)) => {
                    for (k, v) in s.dict.iter() {
                        stack.push((v, self.path(role, id, k, v, ctx.as_ref())));
                    }
                }
                (o, _) => stack.push((o, ctx.clone())),
            }
            while let Some((o, c)) = stack.pop() {
                budget.tick()?;
                match o {
                    Object::Reference(r) => queue.push_back((*r, c)),
                    Object::Array(a) => stack.extend(a.iter().map(|v| (v, c.clone()))),
                    Object::Dictionary(d) => stack.extend(d.iter().map(|(k, v)| (v, font(k, &c)))),
                    Object::Stream(s) => stack.extend(s.dict.iter().map(|(k, v)| (v, font(k, &c)))),
                    _ => {}
                }
            }
        }
        for s in found {
            self.out.modified(s);
        }
        Ok(())
    }

    /// The path a value of a structural object runs on.
    fn path(&self, role: &Role, id: ObjectId, key: &[u8], value: &Object, ctx: Option<&Ctx>) -> Option<Ctx> {
        ctx?;
        let field_name = |i: usize| crate::verdict::shown(&self.ln.fields[i].name);
        let k = || format!("/{}", String::from_utf8_lossy(key));
        match role {
            Role::Catalog => match key {
                b"DSS" | b"Metadata" | b"Extensions" => None,
                _ => Some(Ctx::Catalog(k())),
            },
            Role::AcroForm | Role::FieldsArray => match key {
                b"DR" if self.rules.level >= Level::FormFilling => None,
                b"DR" => Some(Ctx::FormResources),
                _ => Some(Ctx::Catalog("/AcroForm".into())),
            },
            Role::Field(i) | Role::Widget(i) => {
                let f = &self.ln.fields[*i];
                let name = field_name(*i);
                let old = f.id.and_then(|fid| self.lo.field_by_id(fid));
                let unsigned_before = old.is_none_or(|o| !o.dict.has(b"V"));
                match key {
                    b"V" if f.is_signature() => match value {
                        Object::Reference(v) if self.fresh(*v) => None,
                        _ if unsigned_before && !matches!(value, Object::Reference(_)) => None,
                        _ => Some(Ctx::SigDict(name)),
                    },
                    // The appearance of a signature field signed now, or of a new object.
                    b"AP" if f.is_signature() && ((unsigned_before && f.dict.has(b"V")) || self.fresh(id)) => None,
                    b"V" | b"AP" if !f.is_signature() && self.permits_form_filling(&f.name).is_none() => None,
                    b"AP" => Some(Ctx::Appearance(name)),
                    _ => Some(Ctx::Field(name)),
                }
            }
            Role::SigDict(i) => {
                if self.fresh(id) {
                    None
                } else {
                    Some(Ctx::SigDict(field_name(*i)))
                }
            }
            Role::KidsArray(i) => Some(Ctx::Field(field_name(*i))),
            Role::PageNode => Some(Ctx::PageTree),
            Role::Page(i) => match key {
                b"Contents" => Some(Ctx::Content(i + 1)),
                b"Resources" => Some(Ctx::Resources(i + 1)),
                b"Annots" => Some(Ctx::Annotation(i + 1)),
                _ => Some(Ctx::Page(i + 1)),
            },
            Role::AnnotsArray(i) | Role::Annotation(i) => {
                if self.rules.level >= Level::Annotations {
                    None
                } else {
                    Some(Ctx::Annotation(i + 1))
                }
            }
        }
    }

    /// The trailer's document information dictionary (ISO 32000-1 §14.3.3): outside /Root.
    fn info(&mut self) {
        let info = |d: &Document| d.trailer.get(b"Info").ok().cloned();
        let (oi, ni) = (info(self.old), info(self.new));
        let mut changed = self.changed_value(oi.as_ref(), ni.as_ref());
        if let Some(Object::Reference(id)) = &ni {
            changed |= self.changed(*id);
        }
        if changed {
            self.out.notes.push(Reason::InfoChanged);
        }
    }
}

/// The entries of an array (annotations, kids) as a set: references by id, direct values
/// compared by value among the direct ones (at most [`MAX_DIRECT`] of them, beyond which a
/// direct value is only equal to the one at the same place).
struct Entries<'a> {
    ids: HashSet<ObjectId>,
    direct: Vec<&'a Object>,
}

/// Most direct entries compared with each other.
const MAX_DIRECT: usize = 1_000;

impl<'a> Entries<'a> {
    fn of<I: IntoIterator<Item = &'a &'a Object>>(list: I) -> Entries<'a> {
        let mut e = Entries { ids: HashSet::new(), direct: Vec::new() };
        for o in list {
            match o {
                Object::Reference(id) => {
                    e.ids.insert(*id);
                }
                o => e.direct.push(o),
            }
        }
        e
    }

    fn has(&self, o: &Object) -> bool {
        match o {
            Object::Reference(id) => self.ids.contains(id),
            o if self.direct.len() <= MAX_DIRECT => self.direct.iter().any(|d| same(d, o)),
            _ => false,
        }
    }
}

/// Whether every entry of `old` is in `new`.
fn contains_all<'a>(new: &'a [Object], old: impl Iterator<Item = &'a Object>) -> bool {
    let refs: Vec<&Object> = new.iter().collect();
    let set = Entries::of(&refs);
    old.into_iter().all(|o| set.has(o))
}

/// Whether an object whose rule accepts it without comparing all of it (a signature
/// dictionary, a field or widget, an annotation, their lists) is reached through a path that is
/// not its own (a page's content, resources, the catalogue's other entries): then it is judged
/// as any object on that path, so that the same object cannot be a new signature and, say, a
/// content stream.
fn foreign(role: Option<&Role>, ctx: &Ctx) -> bool {
    let loose = matches!(
        role,
        Some(
            Role::SigDict(_)
                | Role::Field(_)
                | Role::Widget(_)
                | Role::Annotation(_)
                | Role::AnnotsArray(_)
                | Role::FieldsArray
                | Role::KidsArray(_)
        )
    );
    loose && !own(ctx)
}

/// A path of the form and annotation structure, where its objects' own rules judge them.
fn own(ctx: &Ctx) -> bool {
    matches!(ctx, Ctx::Field(_) | Ctx::Annotation(_) | Ctx::SigDict(_))
        || matches!(ctx, Ctx::Catalog(k) if k == "/AcroForm")
}

/// How a path judges the objects it reaches (a walk enters an object once per way): open,
/// new objects allowed, the form's resources, an object's own path, any other path.
fn mode(ctx: Option<&Ctx>) -> u8 {
    match ctx {
        None => 0,
        Some(Ctx::NewResources) => 1,
        Some(Ctx::FormResources) => 2,
        Some(c) if own(c) => 3,
        Some(_) => 4,
    }
}

/// Keys of a signature field or its widget that signing it may change (besides /V): the
/// appearance (/AP, /AS), annotation flags (/F), default appearance and quadding (/DA, /Q),
/// field flags (/Ff), and a /Type added as /Annot. Adobe Reader rewrites /F when it signs.
fn signing_key(k: &[u8], old: &Dictionary, new: &Dictionary) -> bool {
    match k {
        b"AP" | b"AS" | b"F" | b"DA" | b"Q" | b"Ff" => true,
        b"Type" => !old.has(b"Type") && new.get(b"Type").and_then(Object::as_name).is_ok_and(|t| t == b"Annot"),
        _ => false,
    }
}

/// The references a value holds, at any depth of its direct structure.
fn references(value: &Object) -> Vec<ObjectId> {
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(o) = stack.pop() {
        match o {
            Object::Reference(r) => out.push(*r),
            Object::Array(a) => stack.extend(a.iter()),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v)),
            Object::Stream(s) => stack.extend(s.dict.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    out
}

/// The form's default resources (ISO 32000-1 §12.7.2 table 218) changed by additions only:
/// every resource category of the older revision kept, each of its entries kept as it was
/// (a changed object it names is judged by the walk), new categories and new entries added;
/// a /DR or category dictionary moved only to a new object. `None` otherwise.
fn dr_additions(
    old: &Document,
    new: &Document,
    old_af: Option<&Dictionary>,
    new_af: Option<&Dictionary>,
) -> Option<DrAdditions> {
    let mut out = DrAdditions::default();
    let fresh = |id: ObjectId| !old.objects.contains_key(&id);
    let old_raw = old_af.and_then(|d| d.get(b"DR").ok());
    let Some(new_raw) = new_af.and_then(|d| d.get(b"DR").ok()) else {
        return old_raw.is_none().then_some(out);
    };
    let (nid, nd) = dict_of(new, new_raw)?;
    let (oid, od) = match old_raw {
        Some(o) => {
            let (oid, od) = dict_of(old, o)?;
            (oid, Some(od))
        }
        None => (None, None),
    };
    if let Some(n) = nid {
        if oid != Some(n) && !fresh(n) {
            return None;
        }
        out.judged.insert(n);
    }
    if let Some(od) = od {
        if od.iter().any(|(k, _)| !nd.has(k)) {
            return None;
        }
    }
    for (k, v) in nd.iter() {
        let Some(ov) = od.and_then(|d| d.get(k).ok()) else {
            out.added.extend(references(v));
            continue;
        };
        let (Some((ocid, ocat)), Some((ncid, ncat))) = (dict_of(old, ov), dict_of(new, v)) else {
            if !same(ov, v) {
                return None;
            }
            continue;
        };
        if let Some(n) = ncid {
            if ocid != Some(n) && !fresh(n) {
                return None;
            }
            out.judged.insert(n);
        }
        for (ek, ev) in ocat.iter() {
            if !ncat.get(ek).is_ok_and(|nv| same(ev, nv)) {
                return None;
            }
        }
        for (ek, nv) in ncat.iter() {
            if !ocat.has(ek) {
                out.added.extend(references(nv));
            }
        }
    }
    Some(out)
}

/// The objects an appearance dictionary names as appearance streams (or state dictionaries)
/// under /N, /R, /D, each with the object that holds the reference (`container` for the
/// dictionary itself, and for a direct state dictionary in it).
fn appearance_streams(ap: &Dictionary, container: ObjectId) -> Vec<(ObjectId, ObjectId)> {
    let mut out = Vec::new();
    for key in [&b"N"[..], b"R", b"D"] {
        match ap.get(key) {
            Ok(Object::Reference(s)) => out.push((*s, container)),
            Ok(Object::Dictionary(states)) => {
                out.extend(states.iter().filter_map(|(_, v)| v.as_reference().ok()).map(|s| (s, container)))
            }
            _ => {}
        }
    }
    out
}

/// The appearance objects of the fields of a revision (their indirect /AP dictionaries and
/// the appearance streams these name).
fn appearance_objects(doc: &Document, fields: &[Field]) -> HashSet<ObjectId> {
    let mut out = HashSet::new();
    for f in fields {
        for h in f.widgets.iter().chain(f.id.iter()) {
            let Some(Object::Dictionary(d)) = doc.objects.get(h) else { continue };
            let Some((id, ap)) = d.get(b"AP").ok().and_then(|a| dict_of(doc, a)) else { continue };
            out.extend(id);
            out.extend(appearance_streams(ap, *h).into_iter().map(|(s, _)| s));
        }
    }
    out
}

/// Where each of `targets` is referenced in the objects reached from the trailer of `doc`
/// (each object entered once; at most [`MAX_USAGES`] places per target).
fn usages(doc: &Document, targets: &HashSet<ObjectId>) -> Result<Usages> {
    let mut out: Usages = HashMap::new();
    if targets.is_empty() {
        return Ok(out);
    }
    let mut budget = Budget::new("document");
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut queue: VecDeque<ObjectId> = VecDeque::new();
    // Values still to look into: the object holding them, the key they sit under, the value.
    let mut pending: Vec<(Option<ObjectId>, &[u8], &Object)> =
        doc.trailer.iter().map(|(k, v)| (None, k.as_slice(), v)).collect();
    loop {
        while let Some((holder, key, o)) = pending.pop() {
            budget.tick()?;
            match o {
                Object::Reference(r) => {
                    if targets.contains(r) {
                        let places = out.entry(*r).or_default();
                        if places.len() < MAX_USAGES {
                            places.push((holder, key.to_vec()));
                        }
                    }
                    if seen.insert(*r) {
                        queue.push_back(*r);
                    }
                }
                Object::Array(a) => pending.extend(a.iter().map(|v| (holder, key, v))),
                Object::Dictionary(d) => pending.extend(d.iter().map(|(_, v)| (holder, key, v))),
                Object::Stream(s) => pending.extend(s.dict.iter().map(|(_, v)| (holder, key, v))),
                _ => {}
            }
        }
        let Some(id) = queue.pop_front() else { break };
        match doc.objects.get(&id) {
            Some(Object::Dictionary(d)) => pending.extend(d.iter().map(|(k, v)| (Some(id), k.as_slice(), v))),
            Some(Object::Stream(s)) => pending.extend(s.dict.iter().map(|(k, v)| (Some(id), k.as_slice(), v))),
            Some(o) => pending.push((Some(id), b"", o)),
            None => {}
        }
    }
    Ok(out)
}

/// Inside page resources, the /Font entry leads to fonts.
fn font(key: &[u8], ctx: &Option<Ctx>) -> Option<Ctx> {
    match (ctx, key) {
        (Some(Ctx::Resources(p)), b"Font") => Some(Ctx::Font(*p)),
        (c, _) => c.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks() {
        assert!(Lock::All.covers("a"));
        let inc = Lock::Include(vec!["Name".into()]);
        assert!(inc.covers("Name") && inc.covers("Name.first") && !inc.covers("Names") && !inc.covers("Amount"));
        let exc = Lock::Exclude(vec!["Name".into()]);
        assert!(!exc.covers("Name") && exc.covers("Amount"));
    }

    #[test]
    fn sameness_ignores_where_a_stream_lies() {
        let mut a = lopdf::Stream::new(Dictionary::new(), b"q Q".to_vec());
        let b = a.clone();
        a.start_position = Some(42);
        assert!(same(&Object::Stream(a), &Object::Stream(b)));
        assert!(!same(&Object::Integer(1), &Object::Real(1.0)));
    }
}
