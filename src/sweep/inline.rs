//! How a trial's values are written: as inline TOML (for `--list`, `sweep.json` and the
//! `--set`-style arguments the config loader takes) and as the short label inside trial names.

use toml::Value;

/// A value as inline TOML on one line: `0.03`, `"cosine"`, `[256, 128]`,
/// `{ kind = "cosine", unit = "epoch" }`. Floats keep a decimal point (`1.0`, not `1`) so the
/// text reads back as the same TOML type; digits are Rust's shortest round-trip form.
pub fn value(v: &Value) -> String {
    match v {
        Value::Float(x) => float(*x),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Table(t) if t.is_empty() => "{}".to_string(),
        Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), value(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        // Strings (quoted and escaped), integers, booleans, datetimes: the toml crate's own form.
        other => other.to_string(),
    }
}

/// A float as TOML: shortest round-trip digits, always with a `.`/exponent so it stays a float.
fn float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let s = x.to_string();
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// One key segment: bare when TOML allows it (`lr`, `warmup_start_factor`), else quoted.
pub fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

/// A dotted path with each segment written as [`key`] does: `optimizer.lr`.
pub fn path(p: &str) -> String {
    p.split('.').map(key).collect::<Vec<_>>().join(".")
}

/// The label of a value in a trial name (`lr=0.03`): numbers in shortest round-trip form
/// (`0.03`, `1`, `0.0001`), strings bare, a table by its `kind` (or its compact inline form
/// when it has none), arrays as `[256,128]`. Path separators, NUL and other control
/// characters become `_` because the name is a directory name (`OUT/<trial>/`).
pub fn label(v: &Value) -> String {
    let raw = match v {
        Value::Table(t) => match t.get("kind") {
            Some(Value::String(kind)) => kind.clone(),
            _ => compact(v),
        },
        _ => compact(v),
    };
    raw.chars()
        .map(|c| match c {
            '/' | '\\' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect()
}

/// Like [`value`] without spaces and quotes: short and still unambiguous for names.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Float(x) => x.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(compact).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k}={}", compact(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        toml::from_str::<toml::Table>(&format!("v = {text}")).unwrap()["v"].clone()
    }

    #[test]
    fn inline_values_read_back_as_the_same_toml_value() {
        for text in [
            "0.03",
            "1.0",
            "1e-10",
            "-2.5e300",
            "5",
            "\"cos\\\"ine\"",
            "true",
            "[256, 128]",
            "[]",
            "{ kind = \"cosine\", unit = \"epoch\" }",
            "{ kind = \"sequential\", phases = [{ kind = \"linear\", length = 2 }] }",
            "{ \"a b\" = 1 }",
        ] {
            let v = parse(text);
            assert_eq!(parse(&value(&v)), v, "{text} -> {}", value(&v));
        }
    }

    #[test]
    fn whole_floats_keep_their_decimal_point() {
        assert_eq!(value(&Value::Float(1.0)), "1.0");
        assert_eq!(value(&Value::Float(0.03)), "0.03");
        assert_eq!(value(&Value::Integer(3)), "3");
    }

    #[test]
    fn keys_are_quoted_only_when_toml_needs_it() {
        assert_eq!(path("optimizer.lr"), "optimizer.lr");
        assert_eq!(key("a b"), "\"a b\"");
    }

    #[test]
    fn labels_use_shortest_numbers_bare_strings_and_a_tables_kind() {
        assert_eq!(label(&Value::Float(0.03)), "0.03");
        assert_eq!(label(&Value::Float(1.0)), "1");
        assert_eq!(label(&Value::Float(1e-4)), "0.0001");
        assert_eq!(label(&Value::String("cosine".into())), "cosine");
        assert_eq!(label(&parse("{ kind = \"step\", step_size = 5 }")), "step");
        assert_eq!(label(&parse("[256, 128]")), "[256,128]");
        assert_eq!(label(&parse("{ epochs = 5 }")), "{epochs=5}");
    }

    #[test]
    fn labels_never_contain_a_path_separator() {
        assert_eq!(label(&Value::String("data/a.csv".into())), "data_a.csv");
    }
}
