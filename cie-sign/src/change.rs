//! What was changed in a PDF after it was signed, typed, told in English and Italian: the
//! modifications of [`crate::Report::modifications`] (the PDF difference analysis
//! finds them). Names quoted from the document (fields, keys) are kept as found; whoever prints
//! a text escapes it ([`crate::verdict::shown`]).

use std::fmt;

use crate::reason::Language;

/// The part of a document an object that changed belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The document catalogue, under this key (`/Root`, `/Names`...).
    Catalogue(String),
    /// The form's default resources.
    FormResources,
    /// The form field of this name.
    Field(String),
    /// The appearance of the form field of this name.
    Appearance(String),
    /// The signature dictionary of the field of this name.
    SignatureDictionary(String),
    /// The page tree.
    PageTree,
    /// This page.
    Page(usize),
    /// The content stream of this page.
    Content(usize),
    /// The resources of this page.
    Resources(usize),
    /// A font of this page.
    Font(usize),
    /// An annotation of this page.
    Annotation(usize),
}

/// Why a form change is not permitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The certification signature permits no change (DocMDP P=1).
    CertificationForbids,
    /// No certification signature permits it.
    NotPermitted,
    /// The signature of this field locks it (FieldMDP).
    LockedBy(String),
}

/// What is wrong with a signature added after signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadSignature {
    /// It reuses this signature dictionary object.
    ReusesDictionary(u32),
    /// Its value is not a signature dictionary.
    NotSignatureDictionary,
}

/// Another place of the older revision that uses an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The object referring to it (`None`: the trailer).
    pub holder: Option<u32>,
    /// Under which key, if any.
    pub key: Option<String>,
    /// Through this object (a shared appearance dictionary), if so.
    pub through: Option<u32>,
}

/// One change after signing that the signatures do not permit.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// An object of `part` (its number) was changed.
    Object {
        /// Where it belongs.
        part: Part,
        /// Its number.
        object: u32,
    },
    /// The document catalogue was replaced.
    CatalogueReplaced,
    /// The page tree was replaced.
    PageTreeReplaced,
    /// The document catalogue was changed (these keys).
    CatalogueChanged(String),
    /// The interactive form was moved to an object already used.
    FormMoved(u32),
    /// The form's field list was moved to an object already used.
    FieldListMoved(u32),
    /// The interactive form was changed (these keys).
    FormChanged(String),
    /// This form field was removed.
    FieldRemoved(String),
    /// This form field was added in an object already used.
    FieldAddedInUsedObject(String, u32),
    /// A form field of this name was added.
    FieldAdded(String),
    /// A signature field was added that the certification signature forbids.
    SignatureFieldForbidden(String),
    /// A signature field was added whose value is wrong.
    SignatureFieldBad(String, BadSignature),
    /// A signature was added (in this field) that the certification signature forbids.
    SignatureForbidden(String),
    /// This signature field was signed, but its value is wrong.
    SignedBadly(String, BadSignature),
    /// The signature of this field was replaced.
    SignatureReplaced(String),
    /// The signature dictionary of this field was changed (these keys).
    SignatureDictionaryChanged(String, String),
    /// The signature of this field was removed.
    SignatureRemoved(String),
    /// The value of this form field was changed, which is not permitted.
    ValueChanged(String, Refusal),
    /// This form field was changed (these keys).
    FieldChanged(String, String),
    /// The appearance of this field was changed (object).
    AppearanceChanged(String, u32),
    /// A widget of this field was changed (these keys).
    WidgetChanged(String, String),
    /// The appearance of this field was changed, but its appearance dictionary (object) is used
    /// elsewhere too.
    SharedAppearanceDictionary(String, u32, Place),
    /// The appearance of this field was rewritten in place (object), used elsewhere too.
    SharedAppearanceStream(String, u32, Place),
    /// This many pages were added.
    PagesAdded(usize),
    /// Pages were removed (how many, of how many).
    PagesRemoved(usize, usize),
    /// Pages were reordered.
    PagesReordered,
    /// The page tree was changed (these keys).
    PageTreeChanged(String),
    /// The content stream of this page was replaced.
    PageContentReplaced(usize),
    /// The resources of this page were replaced.
    PageResourcesReplaced(usize),
    /// This page was changed (these keys).
    PageChanged(usize, String),
    /// The annotations of this page were moved to an object already used.
    AnnotationsMoved(usize),
    /// An annotation of this page was changed (which key, object).
    AnnotationChanged(usize, String, u32),
    /// An annotation was added to this page in an object already used.
    AnnotationAddedInUsedObject(usize, u32),
    /// A form field widget was added to this page.
    WidgetAdded(usize),
    /// An annotation (of this subtype) was added to this page.
    AnnotationAdded(usize, String),
    /// An annotation (of this subtype) was removed from this page.
    AnnotationRemoved(usize, String),
    /// This object is defined more than once after the signature, and the damaged
    /// cross-reference table cannot say which counts.
    RedefinedObject(u32),
    /// The changes cannot be analysed (technical detail, in English).
    Unanalysable(String),
    /// More changes, not listed one by one.
    More,
}

/// A change after signing, where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Modification {
    /// What changed.
    pub change: Change,
    /// Between which signatures: after the first's revision, in the revision the second signs
    /// (`None`: after the last signed revision).
    pub between: Option<(String, String)>,
    /// In the PDF inside an enveloping `.p7m`.
    pub inside_envelope: bool,
}

impl From<Change> for Modification {
    fn from(change: Change) -> Modification {
        Modification { change, between: None, inside_envelope: false }
    }
}

impl Modification {
    /// The modification in words, in `lang`.
    pub fn text(&self, lang: Language) -> String {
        let it = lang == Language::Italian;
        let mut s = self.change.text(lang);
        if let Some((after, signed_by)) = &self.between {
            s += &if it {
                format!(" (dopo la firma {after}, nella revisione firmata da {signed_by})")
            } else {
                format!(" (after signature {after}, in the revision signed by {signed_by})")
            };
        }
        if self.inside_envelope {
            s = if it {
                format!("nel PDF dentro la busta: {s}")
            } else {
                format!("in the PDF inside the envelope: {s}")
            };
        }
        s
    }
}

impl fmt::Display for Modification {
    /// The English text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Language::English))
    }
}

impl Part {
    fn text(&self, object: u32, lang: Language) -> String {
        let n = object;
        if lang == Language::Italian {
            return match self {
                Part::Catalogue(k) => format!("il catalogo del documento è stato modificato ({k}, oggetto {n})"),
                Part::FormResources => format!("le risorse predefinite del modulo sono state modificate (oggetto {n})"),
                Part::Field(f) => format!("il campo {f} del modulo è stato modificato (oggetto {n})"),
                Part::Appearance(f) => format!("l'aspetto del campo {f} del modulo è stato modificato (oggetto {n})"),
                Part::SignatureDictionary(f) => {
                    format!("il dizionario della firma del campo {f} è stato modificato (oggetto {n})")
                }
                Part::PageTree => format!("l'albero delle pagine è stato modificato (oggetto {n})"),
                Part::Page(p) => format!("la pagina {p} è stata modificata (oggetto {n})"),
                Part::Content(p) => format!("il contenuto della pagina {p} è stato modificato (oggetto {n})"),
                Part::Resources(p) => format!("le risorse della pagina {p} sono state modificate (oggetto {n})"),
                Part::Font(p) => format!("un font della pagina {p} è stato modificato (oggetto {n})"),
                Part::Annotation(p) => format!("un'annotazione della pagina {p} è stata modificata (oggetto {n})"),
            };
        }
        match self {
            Part::Catalogue(k) => format!("the document catalogue was changed ({k}, object {n})"),
            Part::FormResources => format!("the form's default resources were changed (object {n})"),
            Part::Field(f) => format!("form field {f} was changed (object {n})"),
            Part::Appearance(f) => format!("the appearance of form field {f} was changed (object {n})"),
            Part::SignatureDictionary(f) => format!("the signature dictionary of field {f} was changed (object {n})"),
            Part::PageTree => format!("the page tree was changed (object {n})"),
            Part::Page(p) => format!("page {p} was changed (object {n})"),
            Part::Content(p) => format!("the content stream of page {p} was changed (object {n})"),
            Part::Resources(p) => format!("the resources of page {p} were changed (object {n})"),
            Part::Font(p) => format!("a font of page {p} was changed (object {n})"),
            Part::Annotation(p) => format!("an annotation of page {p} was changed (object {n})"),
        }
    }
}

impl Refusal {
    fn text(&self, lang: Language) -> String {
        match (self, lang) {
            (Refusal::CertificationForbids, Language::English) => {
                "which the certification signature (DocMDP P=1) does not permit".into()
            }
            (Refusal::CertificationForbids, Language::Italian) => {
                "che la firma di certificazione (DocMDP P=1) non consente".into()
            }
            (Refusal::NotPermitted, Language::English) => "which no certification signature permits".into(),
            (Refusal::NotPermitted, Language::Italian) => "che nessuna firma di certificazione consente".into(),
            (Refusal::LockedBy(s), Language::English) => format!("which signature {s} locks"),
            (Refusal::LockedBy(s), Language::Italian) => format!("che la firma {s} blocca"),
        }
    }
}

impl BadSignature {
    fn text(&self, lang: Language) -> String {
        match (self, lang) {
            (BadSignature::ReusesDictionary(n), Language::English) => {
                format!("reuses the signature dictionary object {n}")
            }
            (BadSignature::ReusesDictionary(n), Language::Italian) => {
                format!("riusa l'oggetto {n}, il dizionario di un'altra firma")
            }
            (BadSignature::NotSignatureDictionary, Language::English) => {
                "has a value that is not a signature dictionary".into()
            }
            (BadSignature::NotSignatureDictionary, Language::Italian) => {
                "ha un valore che non è un dizionario di firma".into()
            }
        }
    }
}

impl Place {
    fn text(&self, lang: Language) -> String {
        let it = lang == Language::Italian;
        let key = self.key.as_ref().map(|k| format!(" (/{k})")).unwrap_or_default();
        let mut s = match (self.holder, it) {
            (Some(h), false) => format!("object {h}{key}"),
            (Some(h), true) => format!("l'oggetto {h}{key}"),
            (None, false) => format!("the trailer{key}"),
            (None, true) => format!("il trailer{key}"),
        };
        if let Some(t) = self.through {
            s += &if it { format!(", tramite l'oggetto {t}") } else { format!(", through object {t}") };
        }
        s
    }
}

impl Change {
    /// The change in words, in `lang`.
    pub fn text(&self, lang: Language) -> String {
        match lang {
            Language::English => self.english(),
            Language::Italian => self.italian(),
        }
    }

    fn english(&self) -> String {
        let en = Language::English;
        match self {
            Change::Object { part, object } => part.text(*object, en),
            Change::CatalogueReplaced => "the document catalogue was replaced".into(),
            Change::PageTreeReplaced => "the page tree was replaced".into(),
            Change::CatalogueChanged(k) => format!("the document catalogue was changed ({k})"),
            Change::FormMoved(n) => format!("the interactive form was moved to an object already used (object {n})"),
            Change::FieldListMoved(n) => {
                format!("the form's field list was moved to an object already used (object {n})")
            }
            Change::FormChanged(k) => format!("the interactive form was changed ({k})"),
            Change::FieldRemoved(f) => format!("form field {f} was removed"),
            Change::FieldAddedInUsedObject(f, n) => {
                format!("form field {f} was added in an object already used (object {n})")
            }
            Change::FieldAdded(f) => format!("a form field was added ({f})"),
            Change::SignatureFieldForbidden(f) => format!(
                "a signature field was added ({f}), which the certification signature (DocMDP P=1) does not permit"
            ),
            Change::SignatureFieldBad(f, why) => format!("a signature field was added ({f}) that {}", why.text(en)),
            Change::SignatureForbidden(f) => format!(
                "a signature was added (field {f}), which the certification signature (DocMDP P=1) does not permit"
            ),
            Change::SignedBadly(f, why) => format!("signature field {f} was signed but {}", why.text(en)),
            Change::SignatureReplaced(f) => format!("the signature of field {f} was replaced"),
            Change::SignatureDictionaryChanged(f, k) => {
                format!("the signature dictionary of field {f} was changed ({k})")
            }
            Change::SignatureRemoved(f) => format!("the signature of field {f} was removed"),
            Change::ValueChanged(f, why) => format!("the value of form field {f} was changed, {}", why.text(en)),
            Change::FieldChanged(f, k) => format!("form field {f} was changed ({k})"),
            Change::AppearanceChanged(f, n) => format!("the appearance of form field {f} was changed (object {n})"),
            Change::WidgetChanged(f, k) => format!("a widget of form field {f} was changed ({k})"),
            Change::SharedAppearanceDictionary(f, n, place) => format!(
                "the appearance of form field {f} was changed, but its appearance dictionary (object {n}) is also used \
                 by {}",
                place.text(en)
            ),
            Change::SharedAppearanceStream(f, n, place) => format!(
                "the appearance of form field {f} was rewritten in place (object {n}), but that object is also used by \
                 {}",
                place.text(en)
            ),
            Change::PagesAdded(1) => "a page was added".into(),
            Change::PagesAdded(n) => format!("{n} pages were added"),
            Change::PagesRemoved(n, of) => format!("the page tree was changed: pages removed ({n} of {of})"),
            Change::PagesReordered => "the page tree was changed: pages reordered".into(),
            Change::PageTreeChanged(k) => format!("the page tree was changed ({k})"),
            Change::PageContentReplaced(p) => format!("the content stream of page {p} was replaced (/Contents)"),
            Change::PageResourcesReplaced(p) => format!("the resources of page {p} were replaced (/Resources)"),
            Change::PageChanged(p, k) => format!("page {p} was changed ({k})"),
            Change::AnnotationsMoved(p) => format!("the annotations of page {p} were moved to an object already used"),
            Change::AnnotationChanged(p, what, n) => {
                format!("an annotation of page {p} was changed (/{what}, object {n})")
            }
            Change::AnnotationAddedInUsedObject(p, n) => {
                format!("an annotation was added to page {p} in an object already used (object {n})")
            }
            Change::WidgetAdded(p) => format!("a form field widget was added to page {p}"),
            Change::AnnotationAdded(p, st) => format!("an annotation was added to page {p} (/{st})"),
            Change::AnnotationRemoved(p, st) => format!("an annotation was removed from page {p} (/{st})"),
            Change::RedefinedObject(n) => format!(
                "object {n} is defined more than once after the signature, and the damaged cross-reference table \
                 cannot say which definition counts"
            ),
            Change::Unanalysable(d) => {
                format!("the changes after signing cannot be analysed: {}", crate::reason::without_offsets(d))
            }
            Change::More => "and more changes not listed".into(),
        }
    }

    fn italian(&self) -> String {
        let it = Language::Italian;
        match self {
            Change::Object { part, object } => part.text(*object, it),
            Change::CatalogueReplaced => "il catalogo del documento è stato sostituito".into(),
            Change::PageTreeReplaced => "l'albero delle pagine è stato sostituito".into(),
            Change::CatalogueChanged(k) => format!("il catalogo del documento è stato modificato ({k})"),
            Change::FormMoved(n) => format!("il modulo interattivo è stato spostato in un oggetto già usato (oggetto {n})"),
            Change::FieldListMoved(n) => {
                format!("l'elenco dei campi del modulo è stato spostato in un oggetto già usato (oggetto {n})")
            }
            Change::FormChanged(k) => format!("il modulo interattivo è stato modificato ({k})"),
            Change::FieldRemoved(f) => format!("il campo {f} del modulo è stato rimosso"),
            Change::FieldAddedInUsedObject(f, n) => {
                format!("il campo {f} del modulo è stato aggiunto in un oggetto già usato (oggetto {n})")
            }
            Change::FieldAdded(f) => format!("è stato aggiunto un campo al modulo ({f})"),
            Change::SignatureFieldForbidden(f) => format!(
                "è stato aggiunto un campo firma ({f}), che la firma di certificazione (DocMDP P=1) non consente"
            ),
            Change::SignatureFieldBad(f, why) => format!("è stato aggiunto un campo firma ({f}) che {}", why.text(it)),
            Change::SignatureForbidden(f) => format!(
                "è stata aggiunta una firma (campo {f}), che la firma di certificazione (DocMDP P=1) non consente"
            ),
            Change::SignedBadly(f, why) => format!("il campo firma {f} è stato firmato ma {}", why.text(it)),
            Change::SignatureReplaced(f) => format!("la firma del campo {f} è stata sostituita"),
            Change::SignatureDictionaryChanged(f, k) => {
                format!("il dizionario della firma del campo {f} è stato modificato ({k})")
            }
            Change::SignatureRemoved(f) => format!("la firma del campo {f} è stata rimossa"),
            Change::ValueChanged(f, why) => {
                format!("il valore del campo {f} del modulo è stato modificato, {}", why.text(it))
            }
            Change::FieldChanged(f, k) => format!("il campo {f} del modulo è stato modificato ({k})"),
            Change::AppearanceChanged(f, n) => {
                format!("l'aspetto del campo {f} del modulo è stato modificato (oggetto {n})")
            }
            Change::WidgetChanged(f, k) => format!("un widget del campo {f} del modulo è stato modificato ({k})"),
            Change::SharedAppearanceDictionary(f, n, place) => format!(
                "l'aspetto del campo {f} del modulo è stato modificato, ma il suo dizionario di aspetto (oggetto {n}) \
                 è usato anche da {}",
                place.text(it)
            ),
            Change::SharedAppearanceStream(f, n, place) => format!(
                "l'aspetto del campo {f} del modulo è stato riscritto sul posto (oggetto {n}), ma quell'oggetto è \
                 usato anche da {}",
                place.text(it)
            ),
            Change::PagesAdded(1) => "è stata aggiunta una pagina".into(),
            Change::PagesAdded(n) => format!("sono state aggiunte {n} pagine"),
            Change::PagesRemoved(n, of) => {
                format!("l'albero delle pagine è stato modificato: pagine rimosse ({n} su {of})")
            }
            Change::PagesReordered => "l'albero delle pagine è stato modificato: pagine riordinate".into(),
            Change::PageTreeChanged(k) => format!("l'albero delle pagine è stato modificato ({k})"),
            Change::PageContentReplaced(p) => format!("il contenuto della pagina {p} è stato sostituito (/Contents)"),
            Change::PageResourcesReplaced(p) => {
                format!("le risorse della pagina {p} sono state sostituite (/Resources)")
            }
            Change::PageChanged(p, k) => format!("la pagina {p} è stata modificata ({k})"),
            Change::AnnotationsMoved(p) => {
                format!("le annotazioni della pagina {p} sono state spostate in un oggetto già usato")
            }
            Change::AnnotationChanged(p, what, n) => {
                format!("un'annotazione della pagina {p} è stata modificata (/{what}, oggetto {n})")
            }
            Change::AnnotationAddedInUsedObject(p, n) => {
                format!("è stata aggiunta un'annotazione alla pagina {p} in un oggetto già usato (oggetto {n})")
            }
            Change::WidgetAdded(p) => format!("è stato aggiunto un widget di un campo del modulo alla pagina {p}"),
            Change::AnnotationAdded(p, st) => format!("è stata aggiunta un'annotazione alla pagina {p} (/{st})"),
            Change::AnnotationRemoved(p, st) => format!("è stata rimossa un'annotazione dalla pagina {p} (/{st})"),
            Change::RedefinedObject(n) => format!(
                "l'oggetto {n} è definito più volte dopo la firma e la tabella dei riferimenti incrociati, danneggiata, \
                 non dice quale definizione vale"
            ),
            Change::Unanalysable(d) => format!(
                "le modifiche successive alla firma non possono essere analizzate: {}",
                crate::reason::without_offsets(d)
            ),
            Change::More => "e altre modifiche non elencate".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One change of every variant (and sub-case).
    fn every_change() -> Vec<Change> {
        let place = Place { holder: Some(7), key: Some("Annots".into()), through: Some(9) };
        let trailer = Place { holder: None, key: None, through: None };
        let parts = [
            Part::Catalogue("/Names".into()),
            Part::FormResources,
            Part::Field("f".into()),
            Part::Appearance("f".into()),
            Part::SignatureDictionary("f".into()),
            Part::PageTree,
            Part::Page(1),
            Part::Content(1),
            Part::Resources(1),
            Part::Font(1),
            Part::Annotation(1),
        ];
        let mut all: Vec<Change> = parts.into_iter().map(|part| Change::Object { part, object: 4 }).collect();
        all.extend([
            Change::CatalogueReplaced,
            Change::PageTreeReplaced,
            Change::CatalogueChanged("/Perms".into()),
            Change::FormMoved(3),
            Change::FieldListMoved(3),
            Change::FormChanged("/DA".into()),
            Change::FieldRemoved("f".into()),
            Change::FieldAddedInUsedObject("f".into(), 3),
            Change::FieldAdded("f".into()),
            Change::SignatureFieldForbidden("f".into()),
            Change::SignatureFieldBad("f".into(), BadSignature::ReusesDictionary(5)),
            Change::SignatureFieldBad("f".into(), BadSignature::NotSignatureDictionary),
            Change::SignatureForbidden("f".into()),
            Change::SignedBadly("f".into(), BadSignature::NotSignatureDictionary),
            Change::SignatureReplaced("f".into()),
            Change::SignatureDictionaryChanged("f".into(), "/M".into()),
            Change::SignatureRemoved("f".into()),
            Change::ValueChanged("f".into(), Refusal::CertificationForbids),
            Change::ValueChanged("f".into(), Refusal::NotPermitted),
            Change::ValueChanged("f".into(), Refusal::LockedBy("s".into())),
            Change::FieldChanged("f".into(), "/F".into()),
            Change::AppearanceChanged("f".into(), 3),
            Change::WidgetChanged("f".into(), "/Rect".into()),
            Change::SharedAppearanceDictionary("f".into(), 3, place.clone()),
            Change::SharedAppearanceStream("f".into(), 3, trailer),
            Change::PagesAdded(1),
            Change::PagesAdded(2),
            Change::PagesRemoved(1, 3),
            Change::PagesReordered,
            Change::PageTreeChanged("/Count".into()),
            Change::PageContentReplaced(1),
            Change::PageResourcesReplaced(1),
            Change::PageChanged(1, "/MediaBox".into()),
            Change::AnnotationsMoved(1),
            Change::AnnotationChanged(1, "Rect".into(), 3),
            Change::AnnotationAddedInUsedObject(1, 3),
            Change::WidgetAdded(1),
            Change::AnnotationAdded(1, "Link".into()),
            Change::AnnotationRemoved(1, "Link".into()),
            Change::RedefinedObject(1),
            Change::Unanalysable("x at DER byte 3".into()),
            Change::More,
        ]);
        all
    }

    /// The variant's position: this match lists every variant (a new one does not compile
    /// until it is added here), and `every_change` must give one of each.
    fn variant(c: &Change) -> usize {
        match c {
            Change::Object { .. } => 0,
            Change::CatalogueReplaced => 1,
            Change::PageTreeReplaced => 2,
            Change::CatalogueChanged(_) => 3,
            Change::FormMoved(_) => 4,
            Change::FieldListMoved(_) => 5,
            Change::FormChanged(_) => 6,
            Change::FieldRemoved(_) => 7,
            Change::FieldAddedInUsedObject(..) => 8,
            Change::FieldAdded(_) => 9,
            Change::SignatureFieldForbidden(_) => 10,
            Change::SignatureFieldBad(..) => 11,
            Change::SignatureForbidden(_) => 12,
            Change::SignedBadly(..) => 13,
            Change::SignatureReplaced(_) => 14,
            Change::SignatureDictionaryChanged(..) => 15,
            Change::SignatureRemoved(_) => 16,
            Change::ValueChanged(..) => 17,
            Change::FieldChanged(..) => 18,
            Change::AppearanceChanged(..) => 19,
            Change::WidgetChanged(..) => 20,
            Change::SharedAppearanceDictionary(..) => 21,
            Change::SharedAppearanceStream(..) => 22,
            Change::PagesAdded(_) => 23,
            Change::PagesRemoved(..) => 24,
            Change::PagesReordered => 25,
            Change::PageTreeChanged(_) => 26,
            Change::PageContentReplaced(_) => 27,
            Change::PageResourcesReplaced(_) => 28,
            Change::PageChanged(..) => 29,
            Change::AnnotationsMoved(_) => 30,
            Change::AnnotationChanged(..) => 31,
            Change::AnnotationAddedInUsedObject(..) => 32,
            Change::WidgetAdded(_) => 33,
            Change::AnnotationAdded(..) => 34,
            Change::AnnotationRemoved(..) => 35,
            Change::RedefinedObject(_) => 36,
            Change::Unanalysable(_) => 37,
            Change::More => 38,
        }
    }

    /// Every change has a non-empty English and a different non-empty Italian text, with its
    /// place (between signatures, inside an envelope) in words too.
    #[test]
    fn every_change_in_english_and_italian() {
        let mut seen = [false; 39];
        for c in every_change() {
            seen[variant(&c)] = true;
            let m = Modification { change: c, between: Some(("A".into(), "B".into())), inside_envelope: true };
            let (en, it) = (m.text(Language::English), m.text(Language::Italian));
            assert!(!en.trim().is_empty() && !it.trim().is_empty(), "{m:?}");
            assert_ne!(en, it, "{m:?}");
            assert!(en.contains("(after signature A, in the revision signed by B)"), "{en}");
            assert!(it.starts_with("nel PDF dentro la busta: "), "{it}");
            assert!(!en.contains("DER byte"), "{en}");
        }
        let missing: Vec<usize> = (0..seen.len()).filter(|&i| !seen[i]).collect();
        assert!(missing.is_empty(), "variants without an example: {missing:?}");
    }
}
