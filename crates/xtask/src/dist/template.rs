//! The templates of `templates/`: `@NAME@` placeholders, filled in full or not at all.

use crate::error::{Result, bail};

/// `template` with each `@KEY@` replaced by its value. Every key given must occur, and no
/// `@UPPER_CASE@` placeholder may be left over.
pub fn fill(template: &str, values: &[(&str, &str)]) -> Result<String> {
    let mut text = template.to_owned();
    for (key, value) in values {
        let placeholder = format!("@{key}@");
        if !text.contains(&placeholder) {
            bail!("the template has no {placeholder}");
        }
        text = text.replace(&placeholder, value);
    }
    if let Some(left) = leftover(&text) {
        bail!("the template's {left} was not filled");
    }
    Ok(text)
}

/// The first `@UPPER_CASE@` placeholder in `text`.
fn leftover(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(start) = text[at..].find('@').map(|i| at + i) {
        let name_len = bytes[start + 1..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || **b == b'_')
            .count();
        let end = start + 1 + name_len;
        if name_len > 0 && bytes.get(end) == Some(&b'@') {
            return Some(&text[start..=end]);
        }
        at = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_others_left_alone() {
        let t = "v@VERSION@ at @executable_path/../lib, mail a@b.c";
        assert_eq!(
            fill(t, &[("VERSION", "1.0")]).unwrap(),
            "v1.0 at @executable_path/../lib, mail a@b.c"
        );
    }

    #[test]
    fn a_missing_or_unused_placeholder_is_an_error() {
        assert!(
            fill("@A@ @B@", &[("A", "x")])
                .unwrap_err()
                .to_string()
                .contains("@B@")
        );
        assert!(fill("@A@", &[("A", "x"), ("C", "y")]).is_err());
    }
}
