//! Checks a statistics JSON document against `docs/stats-schema.md`: every object at a
//! documented path has exactly the fields its section lists. Shared by the runtime's
//! `timeline` suite and the CLI's suite (included with `#[path]`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The fields each section of the schema document lists: `## \`path\`` headings, then table
/// rows whose first cell is a field name in backticks.
pub fn documented_fields(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut sections = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            current = heading
                .split('`')
                .nth(1)
                .filter(|_| heading.starts_with('`'))
                .map(str::to_owned);
            if let Some(path) = &current {
                sections.insert(path.clone(), BTreeSet::new());
            }
        } else if let (Some(path), Some(row)) = (&current, line.strip_prefix("| `")) {
            let field = row.split('`').next().unwrap().to_owned();
            sections.get_mut(path).unwrap().insert(field);
        }
    }
    sections
}

/// Checks `value`, found at `path` (`(file)` for the document's root), and everything below it
/// against `doc` (from [`documented_fields`]); returns the documented paths it visited.
///
/// # Panics
/// On an object whose fields differ from its section's, or an object nested at a path the
/// document has no section for.
pub fn check(
    value: &Value,
    path: &str,
    doc: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let mut visited = BTreeSet::new();
    walk(value, path, doc, &mut visited);
    visited
}

fn walk(
    value: &Value,
    path: &str,
    doc: &BTreeMap<String, BTreeSet<String>>,
    visited: &mut BTreeSet<String>,
) {
    match value {
        Value::Object(fields) => {
            let expected = doc
                .get(path)
                .unwrap_or_else(|| panic!("object at `{path}` is not in docs/stats-schema.md"));
            let actual: BTreeSet<String> = fields.keys().cloned().collect();
            assert_eq!(
                &actual, expected,
                "fields of `{path}` differ from docs/stats-schema.md"
            );
            visited.insert(path.to_owned());
            for (key, child) in fields {
                let child_path = if path == "(file)" {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(child, &child_path, doc, visited);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, &format!("{path}[]"), doc, visited);
            }
        }
        _ => {}
    }
}
