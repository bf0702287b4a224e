//! DESIGN §2: data flows downward. The lower modules of the library never name the layers
//! above them: `ondisk` knows nothing of I/O, files or trees; `extent` reaches the file system
//! only through its `TreeIo` and `Root` seam (the fs layer implements it, and
//! `extent::LookupSource` for its `Fs`); `pmem` and `journal` know nothing of files.

use std::collections::BTreeSet;
use std::path::Path;

/// Every `crate::NAME` (also inside `use crate::{a, b::c}`) named in the `.rs` files under `dir`.
fn crate_paths(dir: &Path, out: &mut BTreeSet<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            crate_paths(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read source");
        let name = path.display().to_string();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => {
                    let end = group.find('}').unwrap_or(group.len());
                    group[..end].split(',').map(str::trim).collect()
                }
                None => vec![rest],
            };
            for n in names {
                let ident: String = n.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !ident.is_empty() {
                    out.insert((ident, name.clone()));
                }
            }
        }
    }
}

#[test]
fn lower_layers_never_name_the_layers_above() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // module -> the crate modules it may name
    let rules: [(&str, &[&str]); 4] = [
        ("ondisk", &["error", "ondisk"]),
        ("extent", &["error", "ondisk"]),
        ("pmem", &["error", "pmem"]),
        ("journal", &["error", "ondisk", "pmem", "journal"]),
    ];
    let mut bad = Vec::new();
    for (module, allowed) in rules {
        let mut named = BTreeSet::new();
        crate_paths(&src.join(module), &mut named);
        assert!(!named.is_empty() || module == "pmem", "{module}: no crate paths found; is the scan broken?");
        for (ident, file) in named {
            if !allowed.contains(&ident.as_str()) {
                bad.push(format!("{file} names crate::{ident}"));
            }
        }
    }
    assert!(bad.is_empty(), "upward edges (DESIGN §2):\n{}", bad.join("\n"));
}

/// The scan itself finds a `use crate::fs::...` and a grouped `use crate::{dax, ..}`.
#[test]
fn the_layer_scan_sees_grouped_and_plain_paths() {
    let dir = crate::common::tempdir();
    std::fs::write(dir.path().join("a.rs"), "use crate::fs::Fs;\nuse crate::{dax::Dax, error};\n").unwrap();
    let mut named = BTreeSet::new();
    crate_paths(dir.path(), &mut named);
    let idents: BTreeSet<&str> = named.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(idents, BTreeSet::from(["dax", "error", "fs"]));
}
