//! CSV files: one example per record, one column is the target, every other column a feature.
//!
//! With `header = true` (the default) the first record names the columns and `target` is a
//! column name. With `header = false`, `target` is a 0-based column index written as a string
//! (`target = "3"`). Cells are trimmed; blank lines are skipped. Errors give the line number as
//! an editor shows it (1-based, counting the header) and the column.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{CsvSource, Dataset, Features, Labels};
use crate::model::TaskKind;

/// Class labels are indices into the output layer; more classes than this is surely a mistake
/// (a real-valued column read as a label).
pub const MAX_CLASSES: u32 = 1 << 16;

/// Reads the whole file into a dataset of f32 features; labels are classes or values per `task`.
pub fn read(src: &CsvSource, task: TaskKind) -> Result<Dataset> {
    read_inner(src, task).with_context(|| format!("reading {}", src.path.display()))
}

/// The number of data records (not counting the header), without parsing the cells.
pub fn count_records(src: &CsvSource) -> Result<usize> {
    count_inner(src).with_context(|| format!("reading {}", src.path.display()))
}

/// The whole file: kept in memory so that line numbers can be counted from byte offsets.
fn contents(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!("file not found")
        } else {
            anyhow::Error::new(e)
        }
    })
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    // The header is handled here rather than by the csv crate so that every record, the header
    // included, goes through the same checks with the same line numbers; `flexible` for the
    // same reason: a ragged row gets our message rather than the crate's.
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes)
}

/// 1-based line numbers from byte offsets. The csv crate's own line count skips blank lines, so
/// it would disagree with an editor; this counts newlines, moving forward only.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    fn of(&mut self, record: &csv::StringRecord) -> u64 {
        let Some(start) = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
        else {
            return self.line;
        };
        // The crate's offset is where it began reading, before the blank lines it skipped.
        let mut start = start.min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        if start > self.offset {
            self.line += self.bytes[self.offset..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.offset = start;
        }
        self.line
    }
}

fn count_inner(src: &CsvSource) -> Result<usize> {
    let bytes = contents(&src.path)?;
    let mut rdr = reader(&bytes);
    let mut record = csv::ByteRecord::new();
    let mut n = 0usize;
    while rdr.read_byte_record(&mut record)? {
        n += 1;
    }
    if src.header {
        n = n.saturating_sub(1);
    }
    if n == 0 {
        bail!("expected at least one data record, found none");
    }
    Ok(n)
}

fn read_inner(src: &CsvSource, task: TaskKind) -> Result<Dataset> {
    let bytes = contents(&src.path)?;
    let mut rdr = reader(&bytes);
    let mut lines = Lines::new(&bytes);
    let mut records = rdr.records();

    let first = match records.next() {
        None => bail!(
            "empty file: expected {}",
            if src.header {
                "a header and data records"
            } else {
                "data records"
            }
        ),
        Some(r) => r?,
    };
    let ncols = first.len();
    let names: Vec<String> = if src.header {
        first.iter().map(str::to_owned).collect()
    } else {
        (0..ncols).map(|i| format!("column {i}")).collect()
    };
    let target = target_column(src, &names)?;
    if ncols < 2 {
        bail!(
            "line {}: expected at least 2 columns (features and the target), found {ncols}",
            lines.of(&first)
        );
    }

    let mut features: Vec<f32> = Vec::new();
    let mut classes: Vec<u32> = Vec::new();
    let mut values: Vec<f32> = Vec::new();
    let mut rows = 0usize;
    let mut parse_record = |record: &csv::StringRecord| -> Result<()> {
        let line = lines.of(record);
        if record.len() != ncols {
            bail!(
                "line {line}: expected {ncols} fields (as in {}), found {}",
                if src.header {
                    "the header"
                } else {
                    "the first record"
                },
                record.len()
            );
        }
        for (i, cell) in record.iter().enumerate() {
            let col = column_label(&names[i], src.header);
            if i == target {
                match task {
                    TaskKind::Classification => classes.push(parse_class(cell).ok_or_else(|| {
                        anyhow::anyhow!(
                            "line {line}, {col}: expected a class label (an integer in [0, {}]), found {cell:?}",
                            MAX_CLASSES - 1
                        )
                    })?),
                    TaskKind::Regression => values.push(parse_number(cell, line, &col)?),
                }
            } else {
                features.push(parse_number(cell, line, &col)?);
            }
        }
        rows += 1;
        Ok(())
    };

    if !src.header {
        parse_record(&first)?;
    }
    for record in records {
        parse_record(&record?)?;
    }
    if rows == 0 {
        bail!("found a header but no data records");
    }
    let labels = match task {
        TaskKind::Classification => Labels::Classes(classes),
        TaskKind::Regression => Labels::Values(values),
    };
    Ok(Dataset {
        features: Features::Floats(features),
        labels,
        rows,
        cols: ncols - 1,
    })
}

/// The index of the target column: by name with a header, by 0-based index without.
fn target_column(src: &CsvSource, names: &[String]) -> Result<usize> {
    let target = src.target.trim();
    if src.header {
        let hits: Vec<usize> = (0..names.len()).filter(|&i| names[i] == target).collect();
        match hits.as_slice() {
            [i] => Ok(*i),
            [] => bail!(
                "data.target: expected a column named {target:?} in the header, found columns {}",
                quoted(names)
            ),
            _ => bail!(
                "data.target: expected one column named {target:?} in the header, found {}",
                hits.len()
            ),
        }
    } else {
        let Ok(i) = target.parse::<usize>() else {
            bail!(
                "data.target: expected a 0-based column index such as \"0\" (the file has no header), found {target:?}"
            );
        };
        if i >= names.len() {
            bail!(
                "data.target: expected a column index below {} (the number of columns), found {i}",
                names.len()
            );
        }
        Ok(i)
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn column_label(name: &str, header: bool) -> String {
    if header {
        format!("column {name:?}")
    } else {
        format!("{name} (0-based)")
    }
}

fn parse_number(cell: &str, line: u64, col: &str) -> Result<f32> {
    match cell.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => bail!("line {line}, {col}: expected a finite number, found {cell:?}"),
        Err(_) if cell.is_empty() => {
            bail!("line {line}, {col}: expected a number, found an empty cell")
        }
        Err(_) => bail!("line {line}, {col}: expected a number, found {cell:?}"),
    }
}

/// A class label: a non-negative integer below [`MAX_CLASSES`]; `3.0` is accepted as 3.
fn parse_class(cell: &str) -> Option<u32> {
    let v = match cell.parse::<u32>() {
        Ok(v) => v,
        Err(_) => {
            let f = cell.parse::<f64>().ok()?;
            if !(f >= 0.0 && f.fract() == 0.0 && f < f64::from(MAX_CLASSES)) {
                return None;
            }
            f as u32
        }
    };
    (v < MAX_CLASSES).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    fn src(path: PathBuf, target: &str, header: bool) -> CsvSource {
        CsvSource {
            path,
            target: target.into(),
            header,
        }
    }

    fn read_text(text: &str, target: &str, header: bool, task: TaskKind) -> Result<Dataset> {
        let (_d, p) = file(text);
        read(&src(p, target, header), task)
    }

    fn err(text: &str, target: &str, task: TaskKind) -> String {
        format!("{:#}", read_text(text, target, true, task).unwrap_err())
    }

    #[test]
    fn a_good_file_gives_every_other_column_as_features_in_order() {
        let d = read_text(
            "a,y,b\n1,10,2\n3, 30 ,4.5\n",
            "y",
            true,
            TaskKind::Regression,
        )
        .unwrap();
        assert_eq!((d.rows, d.cols), (2, 2));
        let Features::Floats(x) = &d.features else {
            panic!()
        };
        assert_eq!(x, &[1.0, 2.0, 3.0, 4.5]);
        let Labels::Values(y) = &d.labels else {
            panic!()
        };
        assert_eq!(y, &[10.0, 30.0]);
    }

    #[test]
    fn without_a_header_the_target_is_a_zero_based_column_index() {
        let d = read_text("1,2,0\n3,4,1\n", "2", false, TaskKind::Classification).unwrap();
        assert_eq!((d.rows, d.cols), (2, 2));
        let Labels::Classes(c) = &d.labels else {
            panic!()
        };
        assert_eq!(c, &[0, 1]);
        let e = format!(
            "{:#}",
            read_text("1,2\n", "y", false, TaskKind::Regression).unwrap_err()
        );
        assert!(
            e.contains("data.target") && e.contains("0-based column index"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            read_text("1,2\n", "2", false, TaskKind::Regression).unwrap_err()
        );
        assert!(e.contains("below 2") && e.contains("found 2"), "{e}");
    }

    #[test]
    fn a_ragged_row_names_its_line_and_both_counts() {
        let e = err("x,y\n1,2\n3,4,5\n", "y", TaskKind::Regression);
        assert!(
            e.contains("d.csv")
                && e.contains("line 3")
                && e.contains("expected 2 fields")
                && e.contains("found 3"),
            "{e}"
        );
    }

    #[test]
    fn line_numbers_count_blank_lines_as_an_editor_does() {
        let e = err("x,y\n1,2\n\n3,oops\n", "y", TaskKind::Regression);
        assert!(e.contains("line 4"), "{e}");
        let e = err(
            "\r\nx,y\r\n1,2\r\n\r\n\r\n\"3\n\",4\r\n5,x\r\n",
            "y",
            TaskKind::Regression,
        );
        assert!(e.contains("line 8"), "{e}");
    }

    #[test]
    fn a_non_numeric_or_empty_cell_names_line_column_and_what_was_found() {
        let e = err("x,y\n1,2\nabc,4\n", "y", TaskKind::Regression);
        assert!(
            e.contains("line 3, column \"x\": expected a number, found \"abc\""),
            "{e}"
        );
        let e = err("x,y\n1,\n", "y", TaskKind::Regression);
        assert!(
            e.contains("line 2, column \"y\"") && e.contains("empty cell"),
            "{e}"
        );
    }

    #[test]
    fn nan_and_infinity_are_rejected() {
        let e = err("x,y\nNaN,2\n", "y", TaskKind::Regression);
        assert!(e.contains("expected a finite number, found \"NaN\""), "{e}");
        let e = err("x,y\n1,inf\n", "y", TaskKind::Regression);
        assert!(e.contains("finite") && e.contains("\"inf\""), "{e}");
    }

    #[test]
    fn a_missing_target_column_lists_the_columns_there_are() {
        let e = err("x,z\n1,2\n", "y", TaskKind::Regression);
        assert!(
            e.contains("data.target: expected a column named \"y\"") && e.contains("\"x\", \"z\""),
            "{e}"
        );
    }

    #[test]
    fn an_empty_file_and_a_header_only_file_are_errors() {
        assert!(err("", "y", TaskKind::Regression).contains("empty file"));
        assert!(err("x,y\n", "y", TaskKind::Regression).contains("header but no data records"));
    }

    #[test]
    fn a_file_with_only_the_target_column_has_no_features() {
        assert!(err("y\n1\n", "y", TaskKind::Regression).contains("at least 2 columns"));
    }

    #[test]
    fn classification_labels_must_be_non_negative_integers() {
        let e = err("x,label\n1,-1\n", "label", TaskKind::Classification);
        assert!(
            e.contains("line 2, column \"label\": expected a class label") && e.contains("\"-1\""),
            "{e}"
        );
        assert!(err("x,label\n1,2.5\n", "label", TaskKind::Classification).contains("\"2.5\""));
        assert!(err("x,label\n1,70000\n", "label", TaskKind::Classification).contains("\"70000\""));
        let d = read_text(
            "x,label\n1,3.0\n2,0\n",
            "label",
            true,
            TaskKind::Classification,
        )
        .unwrap();
        let Labels::Classes(c) = &d.labels else {
            panic!()
        };
        assert_eq!(c, &[3, 0]);
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(&p, b"x,y\n1,\xff\n").unwrap();
        let e = format!(
            "{:#}",
            read(&src(p, "y", true), TaskKind::Regression).unwrap_err()
        );
        assert!(
            e.contains("d.csv") && e.to_lowercase().contains("utf-8"),
            "{e}"
        );
    }

    #[test]
    fn records_are_counted_without_the_header() {
        let (_d, p) = file("x,y\n1,2\n3,4\n5,6\n");
        assert_eq!(count_records(&src(p.clone(), "y", true)).unwrap(), 3);
        assert_eq!(count_records(&src(p, "1", false)).unwrap(), 4);
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = format!(
            "{:#}",
            read(
                &src("/nonexistent/x.csv".into(), "y", true),
                TaskKind::Regression
            )
            .unwrap_err()
        );
        assert_eq!(e, "reading /nonexistent/x.csv: file not found");
    }
}
