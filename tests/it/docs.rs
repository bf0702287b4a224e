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

#[test]
fn man_pages_have_exit_status_examples_see_also_and_the_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let version = format!("\"e4dax {}\"", env!("CARGO_PKG_VERSION"));
    let e2fsprogs_pages = ["mkfs.ext4(8)", "mke2fs(8)", "dumpe2fs(8)", "debugfs(8)", "e2fsck(8)"];
    let mut pages = 0;
    for entry in std::fs::read_dir(root.join("man")).expect("man/") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().and_then(|n| n.to_str()).expect("page name").to_string();
        let text = std::fs::read_to_string(&path).expect("page");
        let th = text.lines().find(|l| l.starts_with(".TH ")).unwrap_or_else(|| panic!("{name}: no .TH line"));
        assert_eq!(th, format!(".TH {name} 1 \"\" {version} \"e4dax manual\""), "{name}: the footer names the version");
        for section in [".SH \"EXIT STATUS\"", ".SH EXAMPLES", ".SH \"SEE ALSO\""] {
            assert!(text.contains(&format!("\n{section}\n")), "{name}: no {section} section");
        }
        let see_also = text
            .split(".SH \"SEE ALSO\"\n")
            .nth(1)
            .unwrap_or("")
            .replace("\\fB", "")
            .replace("\\fR", "")
            .replace("\\-", "-");
        assert!(
            e2fsprogs_pages.iter().any(|p| see_also.contains(p)),
            "{name}: SEE ALSO names no e2fsprogs page: {see_also}"
        );
        let exit = text.split(".SH \"EXIT STATUS\"\n").nth(1).unwrap_or("");
        assert!(exit.starts_with(".TP\n\\fB0\\fR\n"), "{name}: EXIT STATUS starts with 0: {exit}");
        pages += 1;
    }
    assert!(pages >= 30, "{pages} pages");
    let fsck = std::fs::read_to_string(root.join("man/e4dax-fsck.1")).expect("fsck page");
    for code in ["0", "1", "4", "8", "16"] {
        assert!(fsck.contains(&format!(".TP\n\\fB{code}\\fR\n")), "e4dax-fsck(1) lists exit status {code}");
    }
}

#[test]
fn readme_says_how_to_install_man_pages_and_completions() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    for line in [
        "install -Dm644 -t ~/.local/share/man/man1 man/*.1",
        "install -Dm644 completions/e4dax.bash ~/.local/share/bash-completion/completions/e4dax",
        "install -Dm644 completions/_e4dax ~/.local/share/zsh/site-functions/_e4dax",
        "install -Dm644 completions/e4dax.fish ~/.config/fish/completions/e4dax.fish",
    ] {
        assert!(readme.lines().any(|l| l.trim() == line), "README lacks the line: {line}");
    }
    // What the README installs exists.
    for f in ["completions/e4dax.bash", "completions/_e4dax", "completions/e4dax.fish", "man/e4dax.1"] {
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(f).is_file(), "{f}");
    }
}
