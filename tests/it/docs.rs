//! The committed man pages and shell completions are exactly what the current clap definition
//! generates: a stale `man/` or `completions/` fails here with the command that regenerates them.

use std::path::Path;

use crate::common::{e4dax, tempdir};

const REGENERATE: &str =
    "run `cargo run -- generate man man && cargo run -- generate completions completions` and commit";

fn assert_dir_matches(generated: &Path, committed: &Path) {
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap_or_else(|e| panic!("{}: {e}; {REGENERATE}", d.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let gen_names = names(generated);
    assert_eq!(gen_names, names(committed), "{} has other files than generated; {REGENERATE}", committed.display());
    for n in gen_names {
        let a = std::fs::read(generated.join(&n)).unwrap();
        let b = std::fs::read(committed.join(&n)).unwrap();
        assert!(a == b, "{}/{n} is stale; {REGENERATE}", committed.display());
    }
}

#[test]
fn man_pages_and_completions_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempdir();
    for what in ["man", "completions"] {
        let out = dir.path().join(what);
        e4dax().args(["generate", what]).arg(&out).assert().success();
        assert_dir_matches(&out, &root.join(what));
    }
}
