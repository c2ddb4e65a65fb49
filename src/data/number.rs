//! Numbers in CSV cells: `data.decimal = "."` (the default: Rust's syntax, `1.5`, `-2e-3`) or
//! `","` (a decimal comma, `1,5`, as European spreadsheets write them, usually with `;` between
//! fields). Cells that are numbers written another way (a decimal comma where a point is read, a
//! decimal point where a comma is read, thousands separators) are recognised by [`Decimal::foreign`]
//! so that they are refused with a hint instead of being read as text (and one-hot encoded into a
//! level per value).

use serde::{Deserialize, Serialize};

/// `data.decimal`: the decimal mark of the file's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Decimal {
    #[default]
    #[serde(rename = ".")]
    Point,
    #[serde(rename = ",")]
    Comma,
}

/// How a cell that is not a number under the file's decimal mark is one all the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// `1,5` read with `decimal = "."`.
    DecimalComma,
    /// `1.5` read with `decimal = ","`.
    DecimalPoint,
    /// `1,234.5`, `1 234`, `1'234`, `1.234,5`.
    Thousands,
}

impl Decimal {
    /// The key's value as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Decimal::Point => ".",
            Decimal::Comma => ",",
        }
    }

    /// The cell as a number (possibly infinite: `inf`), or `None`.
    pub fn parse(self, cell: &str) -> Option<f64> {
        match self {
            Decimal::Point => cell.parse::<f64>().ok(),
            Decimal::Comma => {
                if cell.contains('.') || cell.matches(',').count() > 1 {
                    return None;
                }
                cell.replacen(',', ".", 1).parse::<f64>().ok()
            }
        }
    }

    /// The cell as a finite number, or `None`.
    pub fn number(self, cell: &str) -> Option<f64> {
        self.parse(cell).filter(|v| v.is_finite())
    }

    /// Whether `cell`, which is no number under `self`, is a number written another way.
    pub fn foreign(self, cell: &str) -> Option<Foreign> {
        let body = cell.strip_prefix(['+', '-']).unwrap_or(cell);
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (mark, other) = match self {
            Decimal::Point => ('.', ','),
            Decimal::Comma => (',', '.'),
        };
        // One `other` between digits (or before them): the other decimal mark.
        if let Some((int, frac)) = body.split_once(other)
            && (int.is_empty() || digits_only(int))
            && digits_only(frac)
        {
            return Some(match self {
                Decimal::Point => Foreign::DecimalComma,
                Decimal::Comma => Foreign::DecimalPoint,
            });
        }
        // Thousands: 1–3 digits, then groups of 3 after one separator, then the decimals.
        let (int, frac) = match body.split_once(mark) {
            Some((int, frac)) => (int, Some(frac)),
            None => (body, None),
        };
        if frac.is_some_and(|f| !digits_only(f)) {
            return None;
        }
        let sep = int.chars().find(|c| !c.is_ascii_digit())?;
        if !matches!(sep, ',' | '.' | '\'' | ' ' | '\u{a0}' | '\u{202f}') || sep == mark {
            return None;
        }
        let mut groups = int.split(sep);
        let first = groups.next()?;
        let ok = digits_only(first)
            && first.len() <= 3
            && groups.all(|g| g.len() == 3 && digits_only(g));
        ok.then_some(Foreign::Thousands)
    }

    /// One line saying how `cell` is written and what reads it, for an error.
    pub fn hint(self, cell: &str) -> Option<String> {
        Some(match self.foreign(cell)? {
            Foreign::DecimalComma => format!(
                "{cell:?} is a number with a decimal comma; data.decimal = \",\" reads it (with a field delimiter other than \",\", e.g. data.delimiter = \";\")"
            ),
            Foreign::DecimalPoint => format!(
                "{cell:?} is a number with a decimal point, but data.decimal = \",\"; expected one decimal mark in the whole file"
            ),
            Foreign::Thousands => format!(
                "{cell:?} is a number with thousands separators, which lrtrain does not read; expected the number without them{}",
                match self {
                    Decimal::Point => "",
                    Decimal::Comma => " (and a decimal comma, data.decimal = \",\")",
                }
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decimal_comma_reads_as_a_number_only_when_asked_for() {
        assert_eq!(Decimal::Comma.number("1,5"), Some(1.5));
        assert_eq!(Decimal::Comma.number("-0,25"), Some(-0.25));
        assert_eq!(Decimal::Comma.number("12"), Some(12.0));
        assert_eq!(Decimal::Comma.number("1.5"), None);
        assert_eq!(Decimal::Comma.number("1,2,3"), None);
        assert_eq!(Decimal::Point.number("1,5"), None);
        assert_eq!(Decimal::Point.number("1.5"), Some(1.5));
        assert_eq!(Decimal::Point.number("inf"), None);
    }

    #[test]
    fn numbers_written_another_way_are_recognised_and_text_is_not() {
        use Foreign::*;
        let p = Decimal::Point;
        assert_eq!(p.foreign("1,5"), Some(DecimalComma));
        assert_eq!(p.foreign("-14,23"), Some(DecimalComma));
        assert_eq!(p.foreign(",5"), Some(DecimalComma));
        assert_eq!(p.foreign("1,234.5"), Some(Thousands));
        assert_eq!(p.foreign("12,345,678"), Some(Thousands));
        assert_eq!(p.foreign("1 234"), Some(Thousands));
        assert_eq!(p.foreign("1'234'567.25"), Some(Thousands));
        let c = Decimal::Comma;
        assert_eq!(c.foreign("1.5"), Some(DecimalPoint));
        assert_eq!(c.foreign("1.234,5"), Some(Thousands));
        assert_eq!(c.foreign("1.234.567"), Some(Thousands));
        for text in [
            "Biscoe",
            "1.2.3",
            "a,b",
            "2020-01-05",
            "12:30",
            "1,23,4",
            "1,",
            "",
            "-",
            "1e5,3",
            "x1,5",
            "1,234.5.6",
        ] {
            assert_eq!(p.foreign(text), None, "{text}");
        }
        assert_eq!(c.foreign("1,2,3"), None);
    }

    #[test]
    fn hints_name_the_key_that_reads_the_cell() {
        let h = Decimal::Point.hint("1,5").unwrap();
        assert!(h.contains("data.decimal = \",\""), "{h}");
        assert!(Decimal::Point.hint("Dream").is_none());
    }
}
