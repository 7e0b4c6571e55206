//! The README's table of served Misskey endpoints is generated from the dispatch table and
//! must be current; `PNUTKEY_BLESS=1` rewrites it.

use pnutkey::front::misskey::rest::ENDPOINTS;

const START: &str = "<!-- misskey-endpoints:start -->\n";
const END: &str = "<!-- misskey-endpoints:end -->";

/// The markdown table of every served endpoint, in dispatch-table order.
fn table() -> String {
    let mut out = String::from("| Misskey endpoint | `GET` | pnut call |\n|---|---|---|\n");
    for endpoint in ENDPOINTS.iter() {
        let get = if endpoint.allow_get { "yes" } else { "" };
        out.push_str(&format!(
            "| `{}` | {get} | {} |\n",
            endpoint.name, endpoint.pnut
        ));
    }
    out
}

#[test]
fn readme_lists_every_served_endpoint() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find(START).expect("start marker") + START.len();
    let end = readme.find(END).expect("end marker");
    let wanted = table();
    if std::env::var_os("PNUTKEY_BLESS").is_some() {
        let updated = format!("{}{wanted}{}", &readme[..start], &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        wanted,
        "README endpoint table is stale: run PNUTKEY_BLESS=1 cargo test --test front_misskey_rest readme"
    );
    // Every name is listed once.
    let mut names: Vec<&str> = ENDPOINTS.iter().map(|e| e.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "an endpoint is in the table twice");
}
