#![allow(clippy::unwrap_used)]

use datasets::{CodeRecord, FolRecord, Label, Nl2Fol, SCHEMA_VERSION};

#[test]
fn nl2fol_keeps_insertion_order_through_json() {
    let mut m = Nl2Fol::new();
    for (s, f) in [("Zed is tall.", "Tall(zed)"), ("Amy is kind.", "Kind(amy)"), ("Mo runs.", "Runs(mo)")] {
        assert!(m.insert(s, f));
    }
    assert!(!m.insert("Amy is kind.", "Other(amy)"), "a sentence keeps its first formula");
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, r#"{"Zed is tall.":"Tall(zed)","Amy is kind.":"Kind(amy)","Mo runs.":"Runs(mo)"}"#);
    let back: Nl2Fol = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
    assert_eq!(back.get("Mo runs."), Some("Runs(mo)"));
}

#[test]
fn a_proverqa_line_reads_as_a_fol_record() {
    // ProverQA's own shape: integer id, one-string context, no meta.
    let line = r#"{"id": 12, "options": ["A) True", "B) False", "C) Uncertain"], "answer": "C",
        "question": "Based on the above information, is the following statement true, false, or uncertain? Bo is red.",
        "reasoning": "The correct option is: C.", "context": "Bo is blue. Al is red.",
        "nl2fol": {"Bo is blue.": "Blue(bo)", "Al is red.": "Red(al)"}, "conclusion_fol": "Red(bo)"}"#;
    let rec: FolRecord = serde_json::from_str(line).unwrap();
    assert_eq!(rec.id, "12");
    assert_eq!(rec.context, "Bo is blue. Al is red.");
    assert_eq!(rec.nl2fol.len(), 2);
    assert_eq!(rec.schema_version, 0, "not written by us");
    assert_eq!(rec.meta.label, None);
}

#[test]
fn labels_and_options_follow_proverqa() {
    assert_eq!(Label::options(), ["A) True", "B) False", "C) Uncertain"]);
    assert_eq!(serde_json::from_str::<Label>("\"Unknown\"").unwrap(), Label::Uncertain);
    assert_eq!(serde_json::to_string(&Label::False).unwrap(), "\"False\"");
    assert_eq!(Label::Uncertain.option_letter(), "C");
}

#[test]
fn default_records_carry_the_schema_version_and_round_trip() {
    let mut fol = FolRecord { id: "fol-1-2".into(), ..FolRecord::default() };
    fol.meta.label = Some(Label::True);
    fol.meta.extra.insert("shape".into(), serde_json::json!("A→B"));
    let back: FolRecord = serde_json::from_str(&serde_json::to_string(&fol).unwrap()).unwrap();
    assert_eq!(back, fol);
    assert_eq!(back.schema_version, SCHEMA_VERSION);

    let mut code = CodeRecord { id: "code-1-2".into(), lang: "rust".into(), ..CodeRecord::default() };
    code.check.files.insert("src/main.rs".into(), "fn main() {}".into());
    code.check.commands.push(vec!["rustc".into(), "src/main.rs".into()]);
    let json = serde_json::to_value(&code).unwrap();
    assert!(json.get("entry_point").is_none(), "absent optionals are not written");
    assert_eq!(json["check"]["commands"][0][0], "rustc");
    let back: CodeRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, code);
}
