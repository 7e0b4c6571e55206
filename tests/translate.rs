//! Golden tests: every `tests/golden/*.json` file `{"rule", "input", "expected"}` is run through
//! the translation function named by `rule` and the JSON values compared.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use pnutkey::translate;
use serde_json::{Value, json};

/// Every rule the golden files must cover (mapping.md §5 plus the entity/date helpers).
const REQUIRED_RULES: &[&str] = &[
    "content_from_text",
    "pnut_date_to_misskey",
    "misskey_date_to_pnut",
    "misskey_id_to_pnut",
    "pnut_id_to_misskey",
];

/// Runs one rule on its input; a translation error becomes `{"error": "<message>"}`.
fn run_rule(rule: &str, input: &Value) -> Result<Value, String> {
    let out = match rule {
        "content_from_text" => {
            let text = input["text"].as_str().ok_or("input.text missing")?;
            let ids: HashMap<String, String> =
                serde_json::from_value(input.get("mention_ids").cloned().unwrap_or(json!({})))
                    .map_err(|e| e.to_string())?;
            let content = translate::content_from_text(text, &|name| ids.get(name).cloned());
            serde_json::to_value(content).map_err(|e| e.to_string())?
        }
        "pnut_date_to_misskey" => string_rule(input, translate::pnut_date_to_misskey)?,
        "misskey_date_to_pnut" => string_rule(input, translate::misskey_date_to_pnut)?,
        "misskey_id_to_pnut" => {
            let format =
                serde_json::from_value(input["format"].clone()).map_err(|e| e.to_string())?;
            string_rule(&input["id"], |id| pnutkey::ids::misskey_to_pnut(id, format))?
        }
        "pnut_id_to_misskey" => {
            let format =
                serde_json::from_value(input["format"].clone()).map_err(|e| e.to_string())?;
            string_rule(&input["id"], |id| pnutkey::ids::pnut_to_misskey(id, format))?
        }
        other => return Err(format!("unknown rule {other:?}")),
    };
    Ok(out)
}

/// Applies a string → Result<String> function to a JSON string input.
fn string_rule<E: std::fmt::Display>(
    input: &Value,
    f: impl Fn(&str) -> Result<String, E>,
) -> Result<Value, String> {
    let text = input.as_str().ok_or("input is not a string")?;
    Ok(match f(text) {
        Ok(out) => Value::String(out),
        Err(err) => json!({"error": err.to_string()}),
    })
}

fn golden_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn golden_files_match() {
    let files = golden_files();
    assert!(!files.is_empty(), "no golden files");
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rule = case["rule"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no rule"));
        match run_rule(rule, &case["input"]) {
            Ok(actual) if actual == case["expected"] => {}
            Ok(actual) => failures.push(format!(
                "{name} ({rule}):\n  expected {}\n  actual   {}",
                case["expected"], actual
            )),
            Err(err) => failures.push(format!("{name} ({rule}): {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_a_golden_case() {
    let covered: BTreeSet<String> = golden_files()
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
        .filter_map(|case| case["rule"].as_str().map(str::to_owned))
        .collect();
    let missing: Vec<&&str> = REQUIRED_RULES
        .iter()
        .filter(|r| !covered.contains(**r))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a golden case: {missing:?}"
    );
}

#[test]
fn unknown_rule_is_reported() {
    assert!(run_rule("no_such_rule", &Value::Null).is_err());
}

mod entity_properties {
    use pnutkey::translate::{content_from_text, entities_from_text};
    use proptest::prelude::*;

    proptest! {
        /// Every entity's pos/len (in code points) points at exactly the text it names.
        #[test]
        fn entity_offsets_point_at_their_text(
            text in "([a-z@#/ .:()]|https://|日本|🎉|👩‍💻|\n){0,40}"
        ) {
            let chars: Vec<char> = text.chars().collect();
            let slice = |pos: u32, len: u32| -> String {
                chars.iter().skip(pos as usize).take(len as usize).collect()
            };
            let entities = entities_from_text(&text, &|_| None);
            for link in &entities.links {
                prop_assert_eq!(slice(link.pos, link.len), link.text.clone());
            }
            for mention in &entities.mentions {
                prop_assert_eq!(slice(mention.pos, mention.len), format!("@{}", mention.text));
            }
            for tag in &entities.tags {
                prop_assert_eq!(slice(tag.pos, tag.len), format!("#{}", tag.text));
            }
            let html = content_from_text(&text, &|_| None).html.unwrap_or_default();
            prop_assert!(html.starts_with("<span itemscope="));
            prop_assert!(html.ends_with("</span>"));
            prop_assert!(!html.contains('\n'));
        }
    }
}
