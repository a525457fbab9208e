//! XML canonicalization for XML signatures: Canonical XML 1.0 (inclusive, W3C REC-xml-c14n
//! 2001) and Exclusive XML Canonicalization 1.0 (W3C REC-xml-exc-c14n 2002), with or without
//! comments, over a parsed document (`roxmltree`): the whole document or one element's subtree,
//! less at most one element (the enveloped-signature transform removes the signature itself).
//!
//! The parser has already normalised what canonical XML normalises (line ends, attribute
//! values, character and entity references, CDATA sections); DTDs are refused when the document
//! is parsed (`tsl.rs`), so there are no default attributes. Element and attribute prefixes
//! are read from the source text, since the tree keeps namespace names only.

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId, NodeType};

/// The XML namespace (the `xml:` prefix), never declared in canonical output.
const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";
/// Deepest element nesting canonicalized (the parser's own depth is bounded by the caller).
const MAX_DEPTH: usize = 256;

/// Which canonicalization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// Canonical XML 1.0: every namespace in scope is rendered where it changes.
    Inclusive,
    /// Exclusive XML Canonicalization 1.0: only namespaces visibly used, plus those of the
    /// InclusiveNamespaces PrefixList (`#default` for the default namespace, as "").
    Exclusive(Vec<String>),
}

/// Why a subtree could not be canonicalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct C14nError(pub(crate) String);

/// The canonical form of `apex` (the document's root node for the whole document, or an
/// element for its subtree) without the subtree of `exclude`, in `text`, the source the
/// document was parsed from.
pub(crate) fn canonicalize(
    text: &str,
    apex: Node<'_, '_>,
    exclude: Option<NodeId>,
    method: &Method,
    comments: bool,
) -> Result<Vec<u8>, C14nError> {
    let mut c = Canon { text, exclude, method, comments, out: Vec::new() };
    if apex.node_type() == NodeType::Root {
        let mut seen_element = false;
        for child in apex.children() {
            match child.node_type() {
                NodeType::Element => {
                    c.element(child, &Rendered::default(), true, 0)?;
                    seen_element = true;
                }
                NodeType::PI | NodeType::Comment if Some(child.id()) != exclude => {
                    if child.node_type() == NodeType::Comment && !comments {
                        continue;
                    }
                    if seen_element {
                        c.out.push(b'\n');
                    }
                    c.leaf(child);
                    if !seen_element {
                        c.out.push(b'\n');
                    }
                }
                _ => {}
            }
        }
    } else if apex.is_element() {
        c.element(apex, &Rendered::default(), true, 0)?;
    } else {
        return Err(C14nError("the node to canonicalize is not an element".into()));
    }
    Ok(c.out)
}

/// The namespace declarations rendered on the output ancestors: prefix ("" for the default
/// namespace) to namespace name.
#[derive(Clone, Debug, Default)]
struct Rendered(BTreeMap<String, String>);

struct Canon<'t, 'm> {
    text: &'t str,
    exclude: Option<NodeId>,
    method: &'m Method,
    comments: bool,
    out: Vec<u8>,
}

impl Canon<'_, '_> {
    /// A comment or processing instruction.
    fn leaf(&mut self, node: Node<'_, '_>) {
        match node.node_type() {
            NodeType::Comment => {
                self.out.extend_from_slice(b"<!--");
                self.out.extend_from_slice(node.text().unwrap_or("").as_bytes());
                self.out.extend_from_slice(b"-->");
            }
            NodeType::PI => {
                if let Some(pi) = node.pi() {
                    self.out.extend_from_slice(b"<?");
                    self.out.extend_from_slice(pi.target.as_bytes());
                    if let Some(v) = pi.value.filter(|v| !v.is_empty()) {
                        self.out.push(b' ');
                        self.out.extend_from_slice(v.as_bytes());
                    }
                    self.out.extend_from_slice(b"?>");
                }
            }
            _ => {}
        }
    }

    /// The qualified name of `element` as written in the source.
    fn element_qname(&self, element: Node<'_, '_>) -> Result<&str, C14nError> {
        let start = element.range().start;
        let rest = self.text.get(start..).and_then(|s| s.strip_prefix('<')).unwrap_or("");
        let end = rest.find(|c: char| c.is_whitespace() || c == '/' || c == '>').unwrap_or(rest.len());
        let qname = &rest[..end];
        let local = qname.rsplit(':').next().unwrap_or(qname);
        if local != element.tag_name().name() {
            return Err(C14nError("an element's name cannot be found in the source".into()));
        }
        Ok(qname)
    }

    fn element(&mut self, element: Node<'_, '_>, parent: &Rendered, apex: bool, depth: usize) -> Result<(), C14nError> {
        if Some(element.id()) == self.exclude {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            return Err(C14nError(format!("elements are nested more than {MAX_DEPTH} deep")));
        }
        let qname = self.element_qname(element)?.to_owned();
        let prefix = qname.split_once(':').map_or("", |(p, _)| p).to_owned();
        // Attributes: (namespace name, local name) sorted, with their qualified names.
        let mut attrs: Vec<(String, String, String, String)> = Vec::new();
        let mut used: Vec<String> = vec![prefix.clone()];
        for a in element.attributes() {
            let q = self.text.get(a.range_qname()).unwrap_or("");
            if q.rsplit(':').next() != Some(a.name()) {
                return Err(C14nError("an attribute's name cannot be found in the source".into()));
            }
            if let Some((p, _)) = q.split_once(':') {
                if p != "xml" {
                    used.push(p.to_owned());
                }
            }
            attrs.push((
                a.namespace().unwrap_or("").to_owned(),
                a.name().to_owned(),
                q.to_owned(),
                a.value().to_owned(),
            ));
        }
        if apex && *self.method == Method::Inclusive {
            // xml:* attributes are inherited by the apex of a subtree (C14N 1.0 §2.4).
            let mut ancestor = element.parent();
            while let Some(a) = ancestor.filter(|n| n.is_element()) {
                for x in a.attributes().filter(|x| x.namespace() == Some(NS_XML)) {
                    if !attrs.iter().any(|(ns, local, _, _)| ns == NS_XML && local == x.name()) {
                        attrs.push((NS_XML.into(), x.name().into(), format!("xml:{}", x.name()), x.value().into()));
                    }
                }
                ancestor = a.parent();
            }
        }
        attrs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        // Namespaces in scope: prefix -> name ("" for the default namespace).
        let mut in_scope: BTreeMap<String, String> = BTreeMap::new();
        for ns in element.namespaces() {
            if ns.uri() == NS_XML {
                continue;
            }
            in_scope.insert(ns.name().unwrap_or("").to_owned(), ns.uri().to_owned());
        }
        let candidates: Vec<String> = match self.method {
            Method::Inclusive => in_scope.keys().cloned().chain(std::iter::once(String::new())).collect(),
            Method::Exclusive(list) => used.into_iter().chain(list.iter().cloned()).collect(),
        };
        let mut rendered = parent.clone();
        let mut decls: BTreeMap<String, String> = BTreeMap::new();
        for p in candidates {
            let uri = in_scope.get(&p).cloned().unwrap_or_default();
            if p.is_empty() {
                let before = parent.0.get("").map(String::as_str).unwrap_or("");
                let inclusive_list = matches!(self.method, Method::Exclusive(l) if l.iter().any(|x| x.is_empty()));
                // An exclusive default namespace is rendered only when visibly used (or listed).
                let utilized = prefix.is_empty() || inclusive_list || *self.method == Method::Inclusive;
                if utilized && uri != before {
                    decls.insert(String::new(), uri.clone());
                    rendered.0.insert(String::new(), uri);
                }
                continue;
            }
            if uri.is_empty() {
                if matches!(self.method, Method::Exclusive(_)) && p == prefix {
                    return Err(C14nError(format!("the prefix {p} is not declared")));
                }
                continue;
            }
            if parent.0.get(&p) != Some(&uri) {
                decls.insert(p.clone(), uri.clone());
                rendered.0.insert(p, uri);
            }
        }
        self.out.push(b'<');
        self.out.extend_from_slice(qname.as_bytes());
        for (p, uri) in &decls {
            if p.is_empty() {
                self.out.extend_from_slice(b" xmlns=\"");
            } else {
                self.out.extend_from_slice(b" xmlns:");
                self.out.extend_from_slice(p.as_bytes());
                self.out.extend_from_slice(b"=\"");
            }
            escape_attribute(uri, &mut self.out);
            self.out.push(b'"');
        }
        for (_, _, q, v) in &attrs {
            self.out.push(b' ');
            self.out.extend_from_slice(q.as_bytes());
            self.out.extend_from_slice(b"=\"");
            escape_attribute(v, &mut self.out);
            self.out.push(b'"');
        }
        self.out.push(b'>');
        for child in element.children() {
            match child.node_type() {
                NodeType::Element => self.element(child, &rendered, false, depth + 1)?,
                NodeType::Text => escape_text(child.text().unwrap_or(""), &mut self.out),
                NodeType::Comment if self.comments => self.leaf(child),
                NodeType::PI => self.leaf(child),
                _ => {}
            }
        }
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(qname.as_bytes());
        self.out.push(b'>');
        Ok(())
    }
}

/// Text content escaped as canonical XML writes it.
fn escape_text(s: &str, out: &mut Vec<u8>) {
    for c in s.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

/// An attribute value escaped as canonical XML writes it.
fn escape_attribute(s: &str, out: &mut Vec<u8>) {
    for c in s.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\t' => out.extend_from_slice(b"&#x9;"),
            '\n' => out.extend_from_slice(b"&#xA;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, method: &Method) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        String::from_utf8(canonicalize(xml, doc.root(), None, method, false).unwrap()).unwrap()
    }

    /// The examples of Canonical XML 1.0 §3 in spirit, outputs written by hand.
    #[test]
    fn empty_elements_attribute_order_and_escapes() {
        let xml = "<?xml version=\"1.0\"?>\n<?pi  data ?>\n<!-- c -->\n<r b='2' a=\"&#x9;x&lt;\" xmlns='urn:d' xmlns:z='urn:z' z:y='1'><e/>t&gt;&#13;</r>";
        assert_eq!(
            c14n(xml, &Method::Inclusive),
            "<?pi data ?>\n<r xmlns=\"urn:d\" xmlns:z=\"urn:z\" a=\"&#x9;x&lt;\" b=\"2\" z:y=\"1\"><e></e>t&gt;&#xD;</r>"
        );
        assert_eq!(
            c14n(xml, &Method::Exclusive(vec![])),
            "<?pi data ?>\n<r xmlns=\"urn:d\" xmlns:z=\"urn:z\" a=\"&#x9;x&lt;\" b=\"2\" z:y=\"1\"><e></e>t&gt;&#xD;</r>"
        );
    }

    #[test]
    fn exclusive_renders_only_visibly_used_namespaces() {
        let xml = "<a:r xmlns:a='urn:a' xmlns:b='urn:b'><a:s><b:t/></a:s></a:r>";
        let doc = roxmltree::Document::parse(xml).unwrap();
        let s = doc.descendants().find(|n| n.has_tag_name("s")).unwrap();
        let exc = canonicalize(xml, s, None, &Method::Exclusive(vec![]), false).unwrap();
        assert_eq!(String::from_utf8(exc).unwrap(), "<a:s xmlns:a=\"urn:a\"><b:t xmlns:b=\"urn:b\"></b:t></a:s>");
        let inc = canonicalize(xml, s, None, &Method::Inclusive, false).unwrap();
        assert_eq!(String::from_utf8(inc).unwrap(), "<a:s xmlns:a=\"urn:a\" xmlns:b=\"urn:b\"><b:t></b:t></a:s>");
    }
}
