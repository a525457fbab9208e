//! `cargo xtask layers`: the import graph between the source files of each crate of the
//! workspace, and its circles (docs/DESIGN.md §2: each crate's layers point one way).
//!
//! A file imports another when it names one of the other file's items: in a `use` declaration
//! (`use crate::a::B`, `use super::*`, `pub use child::X`) or in a path in its code
//! (`crate::a::f()`, `super::B`). Re-exports are followed to the file that defines the item, so
//! `crate::Error` re-exported by `lib.rs` from `error.rs` is an import of `error.rs`, not of
//! `lib.rs`. A parent declaring `mod child;` does not import it. Comments and string literals are
//! not read. The reader is a tokenizer, not a Rust parser: it finds what `use` and `mod` and paths
//! say, which is all the graph needs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::command::{step, Result};
use crate::paths::workspace_root;

/// The crates whose files are checked: (name, directory under the workspace root).
const CRATES: &[(&str, &str)] = &[
    ("cie", "."),
    ("cie-core", "cie-core"),
    ("cie-sim", "cie-sim"),
    ("cie-sign", "cie-sign"),
    ("cie-ffi", "cie-ffi"),
    ("cie-pkcs11", "cie-pkcs11"),
    ("xtask", "xtask"),
];

/// How deep re-exports are followed before the path is taken to end where it is.
const MAX_REEXPORT_HOPS: usize = 16;

/// `cargo xtask layers [--graph]`: prints every circle (and with `--graph` every edge) and fails
/// when a crate has a circle.
pub(crate) fn run_task(args: &[String]) -> Result<ExitCode> {
    let graph = match args {
        [] => false,
        [a] if a == "--graph" => true,
        _ => return Err(format!("usage: cargo xtask layers [--graph], not {args:?}")),
    };
    let root = workspace_root();
    let mut circles = 0;
    for (name, dir) in CRATES {
        for tree in crate_trees(&root.join(dir))? {
            let edges = tree.edges();
            if graph {
                println!("{}", render_graph(name, &tree, &edges));
            }
            for component in circles_of(&edges) {
                circles += 1;
                println!("{}", render_circle(name, &tree, &edges, &component));
            }
        }
    }
    if circles == 0 {
        step("layers: no import circle between files in any crate");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(format!("{circles} import circle(s) between files (listed above)"))
    }
}

/// One crate root's module tree: its files by module path, and what each file says.
#[derive(Debug, Default)]
struct Tree {
    /// Module path (segments below the crate root) → index into `files`.
    modules: BTreeMap<Vec<String>, usize>,
    files: Vec<FileFacts>,
}

/// What one file declares and names.
#[derive(Debug, Default)]
struct FileFacts {
    path: PathBuf,
    /// Names brought in by `use` (alias → absolute path), per module path inside the file.
    imports: HashMap<Vec<String>, HashMap<String, Vec<String>>>,
    /// `use x::*` targets (absolute), per module path inside the file.
    globs: HashMap<Vec<String>, Vec<Vec<String>>>,
    /// Items defined (fn, struct, const, ...), per module path inside the file.
    items: HashMap<Vec<String>, BTreeSet<String>>,
    /// Every path named (absolute), with its line.
    mentions: Vec<(Vec<String>, usize)>,
}

/// The module trees of a package: the library, the binary, `src/bin/*`.
fn crate_trees(dir: &Path) -> Result<Vec<Tree>> {
    let src = dir.join("src");
    let mut roots = Vec::new();
    for f in ["lib.rs", "main.rs"] {
        if src.join(f).is_file() {
            roots.push(src.join(f));
        }
    }
    if let Ok(entries) = std::fs::read_dir(src.join("bin")) {
        let mut bins: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        bins.sort();
        for p in bins {
            if p.extension().is_some_and(|e| e == "rs") {
                roots.push(p);
            } else if p.join("main.rs").is_file() {
                roots.push(p.join("main.rs"));
            }
        }
    }
    roots.iter().map(|r| Tree::load(r)).collect()
}

impl Tree {
    /// Reads the crate root `root` and every file its `mod` declarations reach.
    fn load(root: &Path) -> Result<Tree> {
        let mut tree = Tree::default();
        let mut pending = vec![(Vec::new(), root.to_path_buf())];
        while let Some((module, path)) = pending.pop() {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let tokens = tokenize(&text);
            let (facts, children) = read_file(&module, &tokens);
            let own_dir = module_dir(&path, module.is_empty());
            tree.modules.insert(module.clone(), tree.files.len());
            tree.files.push(FileFacts { path: path.clone(), ..facts });
            for child in children {
                // `mod a { mod b; }` puts b in dir/a/b.rs.
                let mut rel = own_dir.clone();
                for seg in &child[module.len()..child.len() - 1] {
                    rel.push(seg);
                }
                let last = &child[child.len() - 1];
                let file =
                    [rel.join(format!("{last}.rs")), rel.join(last).join("mod.rs")].into_iter().find(|p| p.is_file());
                if let Some(file) = file {
                    pending.push((child, file));
                }
            }
        }
        // Inline modules (`mod tests { .. }`) belong to their file.
        let inline: Vec<(Vec<String>, usize)> =
            tree.files.iter().enumerate().flat_map(|(i, f)| f.items.keys().map(move |m| (m.clone(), i))).collect();
        for (m, i) in inline {
            tree.modules.entry(m).or_insert(i);
        }
        Ok(tree)
    }

    /// The file holding the module `module`, if it is one of this crate's.
    fn file_of(&self, module: &[String]) -> Option<usize> {
        self.modules.get(module).copied()
    }

    /// The file that defines what `path` names: the longest module prefix, then re-exports and
    /// glob imports of that module followed to where the next segment is defined.
    fn resolve(&self, path: &[String], hops: usize) -> Option<usize> {
        let prefix = (0..=path.len()).rev().find(|&n| self.modules.contains_key(&path[..n]))?;
        let file = self.file_of(&path[..prefix])?;
        let Some(next) = path.get(prefix) else { return Some(file) };
        if hops >= MAX_REEXPORT_HOPS {
            return Some(file);
        }
        let module = &path[..prefix];
        let facts = &self.files[file];
        if facts.items.get(module).is_some_and(|items| items.contains(next)) {
            return Some(file);
        }
        if let Some(target) = facts.imports.get(module).and_then(|m| m.get(next)) {
            // Imports are kept only when they point into this crate (see `absolute`).
            let mut followed = target.clone();
            followed.extend_from_slice(&path[prefix + 1..]);
            return self.resolve(&followed, hops + 1).or(Some(file));
        }
        for glob in facts.globs.get(module).into_iter().flatten() {
            if glob.as_slice() == module {
                continue;
            }
            let mut followed = glob.clone();
            followed.extend_from_slice(&path[prefix..]);
            if let Some(found) = self.resolve(&followed, hops + 1) {
                if found != file && self.defines(found, &followed) {
                    return Some(found);
                }
            }
        }
        Some(file)
    }

    /// Whether the file `file` defines (or imports under) the last segment of `path` in the
    /// module named by the rest.
    fn defines(&self, file: usize, path: &[String]) -> bool {
        let Some((last, module)) = path.split_last() else { return false };
        let facts = &self.files[file];
        facts.items.get(module).is_some_and(|i| i.contains(last))
            || facts.imports.get(module).is_some_and(|i| i.contains_key(last))
    }

    /// File → files it imports, with the first path and line that shows each edge.
    fn edges(&self) -> BTreeMap<usize, BTreeMap<usize, (Vec<String>, usize)>> {
        let mut edges: BTreeMap<usize, BTreeMap<usize, (Vec<String>, usize)>> = BTreeMap::new();
        for (from, facts) in self.files.iter().enumerate() {
            let out = edges.entry(from).or_default();
            for (path, line) in &facts.mentions {
                if let Some(to) = self.resolve(path, 0) {
                    if to != from {
                        out.entry(to).or_insert_with(|| (path.clone(), *line));
                    }
                }
            }
        }
        edges
    }

    fn name(&self, file: usize) -> String {
        let p = &self.files[file].path;
        let root = workspace_root();
        p.strip_prefix(&root).unwrap_or(p).display().to_string()
    }
}

/// The directory where the children of the file `path` live.
fn module_dir(path: &Path, is_root: bool) -> PathBuf {
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if is_root || stem == "mod" {
        parent
    } else {
        parent.join(stem)
    }
}

/// The strongly connected components with more than one file (Tarjan's algorithm).
fn circles_of(edges: &BTreeMap<usize, BTreeMap<usize, (Vec<String>, usize)>>) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a BTreeMap<usize, BTreeMap<usize, (Vec<String>, usize)>>,
        index: HashMap<usize, usize>,
        low: HashMap<usize, usize>,
        stack: Vec<usize>,
        on_stack: BTreeSet<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let targets: Vec<usize> = s.edges.get(&v).map(|m| m.keys().copied().collect()).unwrap_or_default();
        for w in targets {
            if !s.index.contains_key(&w) {
                visit(s, w);
                let lw = s.low[&w];
                let lv = s.low.entry(v).or_default();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low.entry(v).or_default();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[&v] == s.index[&v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort_unstable();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for &v in edges.keys() {
        if !s.index.contains_key(&v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn render_circle(
    krate: &str,
    tree: &Tree,
    edges: &BTreeMap<usize, BTreeMap<usize, (Vec<String>, usize)>>,
    component: &[usize],
) -> String {
    let mut out = format!("{krate}: import circle between {} files:", component.len());
    for &from in component {
        for (to, (path, line)) in edges.get(&from).into_iter().flatten() {
            if component.contains(to) {
                let _ =
                    write!(out, "\n  {}:{line} -> {} (crate::{})", tree.name(from), tree.name(*to), path.join("::"));
            }
        }
    }
    out
}

fn render_graph(krate: &str, tree: &Tree, edges: &BTreeMap<usize, BTreeMap<usize, (Vec<String>, usize)>>) -> String {
    let root = tree.files.first().map(|_| tree.name(0)).unwrap_or_default();
    let mut out = format!("{krate} ({root}):");
    for (from, targets) in edges {
        let names: Vec<String> = targets.keys().map(|t| tree.name(*t)).collect();
        let _ =
            write!(out, "\n  {} -> {}", tree.name(*from), if names.is_empty() { "-".into() } else { names.join(", ") });
    }
    out
}

/// A token of Rust source: an identifier or keyword, `::`, or one punctuation character; with
/// its line. Comments, strings, characters and lifetimes are dropped.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokenize(text: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if ch == '"' || ((ch == 'b' || ch == 'c') && at(i + 1) == '"') {
            i += if ch == '"' { 1 } else { 2 };
            while i < c.len() && c[i] != '"' {
                line += usize::from(c[i] == '\n');
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if (ch == 'r' || ((ch == 'b' || ch == 'c') && at(i + 1) == 'r')) && {
            let s = if ch == 'r' { i + 1 } else { i + 2 };
            let mut k = s;
            while at(k) == '#' {
                k += 1;
            }
            at(k) == '"'
        } {
            let mut k = if ch == 'r' { i + 1 } else { i + 2 };
            let mut hashes = 0;
            while at(k) == '#' {
                hashes += 1;
                k += 1;
            }
            k += 1;
            loop {
                if k >= c.len() {
                    break;
                }
                if c[k] == '"' && (1..=hashes).all(|h| at(k + h) == '#') {
                    k += 1 + hashes;
                    break;
                }
                line += usize::from(c[k] == '\n');
                k += 1;
            }
            i = k;
        } else if ch == '\'' {
            // A character literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let s = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[s..i].iter().collect();
            let word = word.strip_prefix("r#").map(str::to_string).unwrap_or(word);
            out.push((Tok::Ident(word), line));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || (c[i] == '.' && at(i + 1).is_ascii_digit()))
            {
                i += 1;
            }
        } else if ch == ':' && at(i + 1) == ':' {
            out.push((Tok::PathSep, line));
            i += 2;
        } else {
            out.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    out
}

/// Item keywords whose next identifier is a name the module defines.
const ITEM_KEYWORDS: &[&str] = &["fn", "struct", "enum", "const", "static", "type", "trait", "union", "macro_rules"];

/// Reads one file's tokens: what it imports, defines and names, and which child module files
/// it declares (as absolute module paths).
fn read_file(module: &[String], toks: &[(Tok, usize)]) -> (FileFacts, Vec<Vec<String>>) {
    let mut facts = FileFacts::default();
    let mut children = Vec::new();
    // Inline module nesting: (module path, brace depth at which it closes).
    let mut scope: Vec<(Vec<String>, usize)> = vec![(module.to_vec(), 0)];
    let mut depth = 0usize;
    let mut i = 0;
    let ident = |k: usize| match toks.get(k) {
        Some((Tok::Ident(s), _)) => Some(s.as_str()),
        _ => None,
    };
    let punct = |k: usize, p: char| matches!(toks.get(k), Some((Tok::Punct(q), _)) if *q == p);
    // Which module children are declared where, so bare paths `child::x` resolve.
    let mut declared: HashMap<Vec<String>, BTreeSet<String>> = HashMap::new();
    for k in 0..toks.len() {
        if ident(k) == Some("mod") {
            if let Some(name) = ident(k + 1) {
                declared.entry(Vec::new()).or_default().insert(name.to_string());
            }
        }
    }
    while i < toks.len() {
        let current = scope.last().map(|s| s.0.clone()).unwrap_or_default();
        let line = toks[i].1;
        match &toks[i].0 {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if scope.len() > 1 && scope.last().is_some_and(|s| s.1 == depth) {
                    scope.pop();
                }
            }
            Tok::Ident(w) if w == "mod" => {
                if let Some(name) = ident(i + 1) {
                    let mut child = current.clone();
                    child.push(name.to_string());
                    if punct(i + 2, ';') {
                        children.push(child);
                        facts.items.entry(current.clone()).or_default().insert(name.to_string());
                        i += 3;
                        continue;
                    } else if punct(i + 2, '{') {
                        facts.items.entry(current.clone()).or_default().insert(name.to_string());
                        facts.items.entry(child.clone()).or_default();
                        depth += 1;
                        scope.push((child, depth - 1));
                        i += 3;
                        continue;
                    }
                }
            }
            Tok::Ident(w) if ITEM_KEYWORDS.contains(&w.as_str()) => {
                let name_at = if w == "macro_rules" { i + 2 } else { i + 1 };
                if let Some(name) = ident(name_at) {
                    facts.items.entry(current.clone()).or_default().insert(name.to_string());
                }
            }
            Tok::Ident(w) if w == "use" && !matches!(toks.get(i.wrapping_sub(1)), Some((Tok::PathSep, _))) => {
                let end = (i..toks.len()).find(|&k| punct(k, ';')).unwrap_or(toks.len());
                let mut leaves = Vec::new();
                use_tree(&toks[i + 1..end], Vec::new(), &mut leaves);
                for (rel, alias) in leaves {
                    let Some(abs) = absolute(&current, &rel, &declared) else { continue };
                    match alias {
                        Some(Alias::Name(name)) => {
                            facts.imports.entry(current.clone()).or_default().insert(name, abs.clone());
                        }
                        Some(Alias::Glob) => facts.globs.entry(current.clone()).or_default().push(abs.clone()),
                        None => {}
                    }
                    facts.mentions.push((abs, line));
                }
                i = end + 1;
                continue;
            }
            Tok::Ident(w)
                if (w == "crate" || w == "super" || w == "self")
                    && matches!(toks.get(i + 1), Some((Tok::PathSep, _))) =>
            {
                let mut rel = vec![w.clone()];
                let mut k = i + 1;
                while matches!(toks.get(k), Some((Tok::PathSep, _))) {
                    match ident(k + 1) {
                        Some(seg) => rel.push(seg.to_string()),
                        None => break,
                    }
                    k += 2;
                }
                if let Some(abs) = absolute(&current, &rel, &declared) {
                    facts.mentions.push((abs, line));
                }
                i = k;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (facts, children)
}

/// What a `use` leaf binds: a name, or everything (`*`).
#[derive(Debug)]
enum Alias {
    Name(String),
    Glob,
}

/// Flattens a use tree (`a::{b, c::d as e, f::*}`) into (path, what it binds).
fn use_tree(toks: &[(Tok, usize)], prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<Alias>)>) {
    let mut path = prefix;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Ident(w) if w == "as" => {
                let alias = match toks.get(i + 1) {
                    Some((Tok::Ident(a), _)) if a != "_" => Some(Alias::Name(a.clone())),
                    _ => None,
                };
                out.push((path.clone(), alias));
                return;
            }
            Tok::Ident(w) => path.push(w.clone()),
            Tok::PathSep => {}
            Tok::Punct('*') => {
                out.push((path.clone(), Some(Alias::Glob)));
                return;
            }
            Tok::Punct('{') => {
                // Split the group at top-level commas.
                let mut level = 0;
                let mut start = i + 1;
                for k in i + 1..toks.len() {
                    match toks[k].0 {
                        Tok::Punct('{') => level += 1,
                        Tok::Punct('}') if level == 0 => {
                            if start < k {
                                use_tree(&toks[start..k], path.clone(), out);
                            }
                            return;
                        }
                        Tok::Punct('}') => level -= 1,
                        Tok::Punct(',') if level == 0 => {
                            if start < k {
                                use_tree(&toks[start..k], path.clone(), out);
                            }
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
                return;
            }
            Tok::Punct(_) => {}
        }
        i += 1;
    }
    if let Some(last) = path.last().cloned() {
        let name = if last == "self" {
            path.pop();
            path.last().cloned()
        } else {
            Some(last)
        };
        out.push((path, name.map(Alias::Name)));
    }
}

/// The absolute module path of `rel` as written in module `current`, or `None` for a path
/// into another crate.
fn absolute(
    current: &[String],
    rel: &[String],
    declared: &HashMap<Vec<String>, BTreeSet<String>>,
) -> Option<Vec<String>> {
    let mut base: Vec<String> = current.to_vec();
    let mut rest = rel;
    match rel.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rel[1..];
        }
        Some("self") => rest = &rel[1..],
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        Some(first) => {
            // A bare path names a child module declared in this file (2018 edition), else
            // another crate.
            let own = declared.get(&Vec::new()).is_some_and(|d| d.contains(first));
            if !own {
                return None;
            }
        }
        None => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_of(files: &[(&str, &str)]) -> (tempdir::Dir, Tree) {
        let dir = tempdir::Dir::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let tree = Tree::load(&dir.path().join("lib.rs")).unwrap();
        (dir, tree)
    }

    fn circles(files: &[(&str, &str)]) -> Vec<Vec<String>> {
        let (_dir, tree) = tree_of(files);
        let edges = tree.edges();
        circles_of(&edges)
            .into_iter()
            .map(|c| {
                let mut names: Vec<String> =
                    c.iter().map(|&f| tree.files[f].path.file_name().unwrap().to_string_lossy().into_owned()).collect();
                names.sort();
                names
            })
            .collect()
    }

    #[test]
    fn a_use_back_and_forth_is_a_circle() {
        let found = circles(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            ("a.rs", "use crate::b::B;\npub struct A;\n"),
            ("b.rs", "pub struct B;\nfn f() -> super::a::A { todo!() }\n"),
        ]);
        assert_eq!(found, vec![vec!["a.rs".to_string(), "b.rs".to_string()]]);
    }

    #[test]
    fn reexports_are_followed_to_the_defining_file() {
        // lib.rs re-exports error::Error; error.rs using crate::Error is no circle with lib.rs,
        // and a.rs naming crate::Error imports error.rs.
        let (_dir, tree) = tree_of(&[
            ("lib.rs", "mod a;\nmod error;\npub use error::Error;\npub use a::run;\n"),
            ("error.rs", "pub enum Error { X }\nimpl crate::Error {}\n"),
            ("a.rs", "use crate::Error;\npub fn run() {}\n"),
        ]);
        let edges = tree.edges();
        assert!(circles_of(&edges).is_empty());
        let name = |i: usize| tree.files[i].path.file_name().unwrap().to_string_lossy().into_owned();
        let a = (0..tree.files.len()).find(|&i| name(i) == "a.rs").unwrap();
        let targets: Vec<String> = edges[&a].keys().map(|&t| name(t)).collect();
        assert_eq!(targets, vec!["error.rs"]);
    }

    #[test]
    fn a_parent_item_used_by_a_child_it_reexports_is_a_circle() {
        let found = circles(&[
            ("lib.rs", "mod m;\n"),
            ("m/mod.rs", "mod c;\npub use c::C;\npub fn helper() {}\n"),
            ("m/c.rs", "pub struct C;\nfn g() { super::helper() }\n"),
        ]);
        assert_eq!(found, vec![vec!["c.rs".to_string(), "mod.rs".to_string()]]);
    }

    #[test]
    fn comments_strings_and_test_modules_own_super() {
        let found = circles(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            ("a.rs", "// use crate::b::B;\nconst S: &str = \"crate::b::B\";\nconst R: &str = r#\"crate::b\"#;\nfn x<'a>(c: char) -> bool { c == '\"' }\n#[cfg(test)]\nmod tests { use super::*; }\n"),
            ("b.rs", "use crate::a::x;\n"),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn glob_imports_reach_the_file_that_defines_the_name() {
        let found = circles(&[
            ("lib.rs", "mod a;\nmod b;\npub use b::*;\n"),
            ("a.rs", "pub struct A;\nfn f(_: crate::B) {}\n"),
            ("b.rs", "pub struct B;\nfn g(_: crate::a::A) {}\n"),
        ]);
        assert_eq!(found, vec![vec!["a.rs".to_string(), "b.rs".to_string()]]);
    }

    /// A directory removed on drop (std only).
    mod tempdir {
        use std::path::{Path, PathBuf};

        pub(super) struct Dir(PathBuf);

        impl Dir {
            pub(super) fn new() -> Dir {
                static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let p = std::env::temp_dir().join(format!("xtask-layers-{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub(super) fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
