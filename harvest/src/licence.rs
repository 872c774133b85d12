//! The licence of a harvested file: the nearest licence file (or `package.json` licence)
//! in the file's directory or above it, read as an SPDX identifier.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Licences whose code may be used verbatim as an answer by default.
pub const PERMISSIVE: &[&str] =
    &["MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "PSF-2.0", "ISC", "MIT OR Apache-2.0", "0BSD"];

const LICENCE_FILES: &[&str] = &[
    "LICENSE",
    "LICENSE.txt",
    "LICENSE.md",
    "LICENCE",
    "LICENCE.txt",
    "COPYING",
    "COPYING.txt",
    "LICENSE-MIT",
    "LICENSE-APACHE",
];

/// A licence and the file it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    /// SPDX identifier (or expression), `unknown` when no rule recognises the text.
    pub spdx: String,
    pub source: Option<PathBuf>,
}

impl Licence {
    pub fn is_permissive(&self) -> bool {
        PERMISSIVE.contains(&self.spdx.as_str())
    }
}

/// Looks licences up by directory, remembering each directory's answer. A file of a
/// Debian package with no licence file above it (Debian moves them out of the tree) has
/// its package's `/usr/share/doc/PKG/copyright`.
#[derive(Debug, Default)]
pub struct LicenceFinder {
    by_dir: HashMap<PathBuf, Option<Licence>>,
    /// Directory → owning Debian package, read from dpkg's file lists on first need.
    dpkg: Option<HashMap<PathBuf, String>>,
    dpkg_root: Option<PathBuf>,
}

impl LicenceFinder {
    /// A finder that reads Debian's package database under `root` instead of `/`.
    pub fn with_dpkg_root(root: &Path) -> LicenceFinder {
        LicenceFinder { dpkg_root: Some(root.to_path_buf()), ..LicenceFinder::default() }
    }

    pub fn for_file(&mut self, file: &Path) -> Licence {
        let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        self.in_tree(&dir)
            .or_else(|| self.debian(&dir))
            .unwrap_or_else(|| Licence { spdx: "unknown".into(), source: None })
    }

    /// The nearest licence file at or above `dir`.
    fn in_tree(&mut self, dir: &Path) -> Option<Licence> {
        if let Some(l) = self.by_dir.get(dir) {
            return l.clone();
        }
        let found = in_dir(dir).or_else(|| match dir.parent() {
            Some(parent) if parent != dir => self.in_tree(parent),
            _ => None,
        });
        self.by_dir.insert(dir.to_path_buf(), found.clone());
        found
    }

    fn debian(&mut self, dir: &Path) -> Option<Licence> {
        let root = self.dpkg_root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let owners = self.dpkg.get_or_insert_with(|| dpkg_owners(&root));
        let pkg = owners.get(dir)?;
        let path = root.join("usr/share/doc").join(pkg).join("copyright");
        let text = std::fs::read_to_string(&path).ok()?;
        Some(Licence { spdx: debian_copyright(&text), source: Some(path) })
    }
}

/// Directory → package, from dpkg's `info/*.list` files (each file's directory).
fn dpkg_owners(root: &Path) -> HashMap<PathBuf, String> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir(root.join("var/lib/dpkg/info")) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(pkg) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".list"))
        else {
            continue;
        };
        let pkg = pkg.split(':').next().unwrap_or(pkg).to_string();
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        for line in text.lines() {
            if let Some(parent) = Path::new(line).parent() {
                out.entry(root.join(parent.strip_prefix("/").unwrap_or(parent)))
                    .or_insert_with(|| pkg.clone());
            }
        }
    }
    out
}

/// The licence of a Debian machine-readable copyright file: that of its `Files: *`
/// paragraph, by its short name, or by the text of its stand-alone `License:` paragraph.
pub fn debian_copyright(text: &str) -> String {
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    let field =
        |p: &str, name: &str| p.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()));
    // The paragraph for every file (`Files: *`), else the first one, which is upstream's
    // main tree by convention (rust-src lists its directories one per line instead).
    let main = paragraphs
        .iter()
        .find(|p| field(p, "Files:").is_some_and(|f| f.split_whitespace().any(|g| g == "*")))
        .or_else(|| paragraphs.iter().find(|p| field(p, "Files:").is_some()));
    let Some(name) = main.and_then(|p| field(p, "License:")) else {
        return "unknown".into();
    };
    if let Some(spdx) = debian_name(&name) {
        return spdx.into();
    }
    paragraphs
        .iter()
        .find(|p| p.lines().next().is_some_and(|l| l.trim() == format!("License: {name}")))
        .map(|p| classify(p).to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn debian_name(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "expat" | "mit" => "MIT",
        "bsd-3-clause" => "BSD-3-Clause",
        "bsd-2-clause" => "BSD-2-Clause",
        "apache-2.0" | "apache-2" => "Apache-2.0",
        "isc" => "ISC",
        "psf-2" | "psf-2.0" | "python" | "psf" => "PSF-2.0",
        "mit or apache-2.0" | "apache-2.0 or mit" => "MIT OR Apache-2.0",
        _ if n.contains("classpath") => "GPL-2.0-with-classpath-exception",
        _ if n.starts_with("lgpl") => "LGPL",
        _ if n.starts_with("gpl") => "GPL",
        _ => return None,
    })
}

/// The licence stated in `dir` itself, if any.
fn in_dir(dir: &Path) -> Option<Licence> {
    let package = dir.join("package.json");
    if let Ok(text) = std::fs::read_to_string(&package)
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(spdx) = json.get("license").and_then(|l| l.as_str())
    {
        return Some(Licence { spdx: spdx.to_string(), source: Some(package) });
    }
    let mut texts = Vec::new();
    for name in LICENCE_FILES {
        let path = dir.join(name);
        if let Ok(text) = std::fs::read_to_string(&path) {
            texts.push((path, classify(&text)));
        }
    }
    let (first, _) = texts.first()?.clone();
    let ids: Vec<&str> = texts.iter().map(|(_, id)| *id).filter(|id| *id != "unknown").collect();
    // Rust's own layout: LICENSE-MIT beside LICENSE-APACHE is a dual licence.
    let spdx = if ids.contains(&"MIT") && ids.contains(&"Apache-2.0") {
        "MIT OR Apache-2.0".to_string()
    } else {
        ids.first().copied().unwrap_or("unknown").to_string()
    };
    Some(Licence { spdx, source: Some(first) })
}

/// The SPDX identifier a licence text reads as, or `unknown`.
pub fn classify(text: &str) -> &'static str {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let has = |s: &str| t.contains(s);
    if has("PYTHON SOFTWARE FOUNDATION LICENSE") {
        "PSF-2.0"
    } else if has("Apache License") && has("Version 2.0") {
        "Apache-2.0"
    } else if has("GNU LESSER GENERAL PUBLIC LICENSE") {
        "LGPL"
    } else if has("GNU GENERAL PUBLIC LICENSE") {
        if has("Classpath") { "GPL-2.0-with-classpath-exception" } else { "GPL" }
    } else if has("Permission is hereby granted, free of charge") {
        "MIT"
    } else if has("Redistribution and use in source and binary forms") {
        if has("Neither the name") || has("names of its contributors") {
            "BSD-3-Clause"
        } else {
            "BSD-2-Clause"
        }
    } else if has("Permission to use, copy, modify, and/or distribute this software") {
        "ISC"
    } else {
        "unknown"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn licence_texts_read_as_their_spdx_ids() {
        assert_eq!(classify("MIT License\n\nPermission is hereby granted, free of charge, to any"), "MIT");
        assert_eq!(
            classify("Redistribution and use in source and binary forms ...\n * Neither the name of Google"),
            "BSD-3-Clause"
        );
        assert_eq!(classify("Apache License\n Version 2.0, January 2004"), "Apache-2.0");
        assert_eq!(
            classify("GNU GENERAL PUBLIC LICENSE Version 2 ... Classpath exception"),
            "GPL-2.0-with-classpath-exception"
        );
        assert_eq!(classify("All rights reserved."), "unknown");
    }

    #[test]
    fn the_nearest_licence_file_above_a_file_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, pkg) = (tmp.path(), tmp.path().join("a/b"));
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(root.join("LICENSE"), "Permission is hereby granted, free of charge").unwrap();
        std::fs::write(tmp.path().join("a/package.json"), r#"{"license": "ISC"}"#).unwrap();
        let mut finder = LicenceFinder::default();
        let l = finder.for_file(&pkg.join("x.js"));
        assert_eq!(l.spdx, "ISC");
        assert!(l.is_permissive());
        assert_eq!(finder.for_file(&root.join("y.js")).spdx, "MIT");
        std::fs::write(root.join("LICENSE-APACHE"), "Apache License Version 2.0").unwrap();
        let fresh = LicenceFinder::default().for_file(&root.join("z.rs"));
        assert_eq!(fresh.spdx, "MIT OR Apache-2.0");
    }

    #[test]
    fn a_debian_package_file_without_a_licence_file_has_its_copyright_licence() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let src = root.join("usr/share/go/src/strings");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::create_dir_all(root.join("var/lib/dpkg/info")).unwrap();
        std::fs::write(
            root.join("var/lib/dpkg/info/golang-src:amd64.list"),
            "/usr/share/go/src/strings/x.go\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("usr/share/doc/golang-src")).unwrap();
        // As Debian's Go copyright: the licence named, its text in its own paragraph.
        let copyright = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
            Files: *\nCopyright: The Go Authors\nLicense: Go\n\n\
            Files: debian/*\nLicense: X11\n\n\
            License: Go\n Redistribution and use in source and binary forms, with or without\n \
            modification ... * Neither the name of Google Inc. nor the names of its\n contributors\n";
        std::fs::write(root.join("usr/share/doc/golang-src/copyright"), copyright).unwrap();
        let l = LicenceFinder::with_dpkg_root(root).for_file(&src.join("x.go"));
        assert_eq!(l.spdx, "BSD-3-Clause");
        assert!(l.source.unwrap().ends_with("usr/share/doc/golang-src/copyright"));
        assert_eq!(debian_copyright("Files: *\nLicense: Expat\n"), "MIT");
        assert_eq!(debian_copyright("no fields"), "unknown");
        // rust-src: no `Files: *`; the first paragraph, its directories one per line.
        let rust_src = "Format: x\n\nFiles: C*.md\n       library/*\nLicense: MIT or Apache-2.0\n\nFiles: fonts/*\nLicense: SIL-OPEN-FONT\n";
        assert_eq!(debian_copyright(rust_src), "MIT OR Apache-2.0");
    }
}
