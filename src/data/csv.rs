//! CSV files as a table of trimmed text cells with each record's line number; what the cells
//! mean (target, numbers, categories, missing cells) is decided in `tabular.rs`.
//!
//! With `header = true` (the default) the first record names the columns. With `header = false`
//! the columns are named by their 0-based index (`"0"`, `"1"`, …), so `target = "3"` still names
//! a column. Cells are trimmed; blank lines are skipped; `.gz` files are decompressed. Errors give
//! the line number as an editor shows it (1-based, counting the header) and the column.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// A whole CSV file: column names and every record's cells, row-major.
#[derive(Debug, Clone)]
pub struct Table {
    /// Column names: the header's, or `"0"`, `"1"`, … without one.
    pub names: Vec<String>,
    /// `rows × names.len()` trimmed cells, row-major.
    pub cells: Vec<String>,
    /// The 1-based line of each data record, as an editor counts it.
    pub lines: Vec<u64>,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    pub fn cols(&self) -> usize {
        self.names.len()
    }

    /// Record `r`'s cell in column `c`.
    pub fn cell(&self, r: usize, c: usize) -> &str {
        &self.cells[r * self.names.len() + c]
    }

    /// The index of the column named `name`, if exactly one has that name.
    pub fn column(&self, name: &str) -> Option<usize> {
        let mut hits = (0..self.names.len()).filter(|&i| self.names[i] == name);
        let first = hits.next()?;
        hits.next().is_none().then_some(first)
    }
}

/// Reads the whole file as text cells. The delimiter is one byte (checked by the config).
/// Errors (a missing or unreadable file, invalid UTF-8, a ragged row, no data) carry the path.
pub fn read_table(path: &Path, header: bool, delimiter: u8) -> Result<Table> {
    read_table_inner(path, header, delimiter).with_context(|| format!("reading {}", path.display()))
}

/// The whole file: kept in memory so that line numbers can be counted from byte offsets.
fn contents(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!("file not found")
        } else {
            anyhow::Error::new(e)
        }
    })?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .context("not a valid gzip file")?;
    Ok(out)
}

fn reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    // The header is handled here rather than by the csv crate so that every record, the header
    // included, goes through the same checks with the same line numbers; `flexible` for the
    // same reason: a ragged row gets our message rather than the crate's.
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
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

fn read_table_inner(path: &Path, header: bool, delimiter: u8) -> Result<Table> {
    let bytes = contents(path)?;
    let mut rdr = reader(&bytes, delimiter);
    let mut lines = Lines::new(&bytes);
    let mut records = rdr.records();

    let first = match records.next() {
        None => bail!(
            "empty file: expected {}",
            if header {
                "a header and data records"
            } else {
                "data records"
            }
        ),
        Some(r) => r?,
    };
    let ncols = first.len();
    let names: Vec<String> = if header {
        let line = lines.of(&first);
        let names: Vec<String> = first.iter().map(str::to_owned).collect();
        // Columns are found by name: an empty or repeated one could not be told apart.
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                bail!(
                    "line {line}: column {} has an empty name; expected a name for every column (or data.header = false)",
                    i + 1
                );
            }
            if let Some(j) = names[..i].iter().position(|n| n == name) {
                bail!(
                    "line {line}, column {name:?}: names columns {} and {}; expected each name once",
                    j + 1,
                    i + 1
                );
            }
        }
        names
    } else {
        (0..ncols).map(|i| i.to_string()).collect()
    };
    let mut table = Table {
        names,
        cells: Vec::new(),
        lines: Vec::new(),
    };
    let mut push = |record: &csv::StringRecord, table: &mut Table| -> Result<()> {
        let line = lines.of(record);
        if record.len() != ncols {
            bail!(
                "line {line}: expected {ncols} fields (as in {}), found {}",
                if header {
                    "the header"
                } else {
                    "the first record"
                },
                record.len()
            );
        }
        table.cells.extend(record.iter().map(str::to_owned));
        table.lines.push(line);
        Ok(())
    };
    if !header {
        push(&first, &mut table)?;
    }
    for record in records {
        push(&record?, &mut table)?;
    }
    if table.rows() == 0 {
        bail!("found a header but no data records");
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        (dir, p)
    }

    fn err(text: &str) -> String {
        let (_d, p) = file("d.csv", text.as_bytes());
        format!("{:#}", read_table(&p, true, b',').unwrap_err())
    }

    #[test]
    fn cells_are_trimmed_and_lines_count_blank_lines_as_an_editor_does() {
        let (_d, p) = file("d.csv", b"a,y\n1, 10 \n\n3,30\n");
        let t = read_table(&p, true, b',').unwrap();
        assert_eq!(t.names, ["a", "y"]);
        assert_eq!((t.rows(), t.cell(0, 1), t.cell(1, 0)), (2, "10", "3"));
        assert_eq!(t.lines, [2, 4]);
        assert_eq!(t.column("y"), Some(1));
    }

    #[test]
    fn without_a_header_columns_are_named_by_their_index_and_the_first_record_is_data() {
        let (_d, p) = file("d.csv", b"1,2\n3,4\n");
        let t = read_table(&p, false, b',').unwrap();
        assert_eq!(
            (t.names.clone(), t.rows(), t.lines.clone()),
            (vec!["0".to_string(), "1".into()], 2, vec![1, 2])
        );
    }

    #[test]
    fn another_delimiter_and_a_gzipped_file_read_the_same() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"a;b\n1;x\n").unwrap();
        let (_d, p) = file("d.csv.gz", &gz.finish().unwrap());
        let t = read_table(&p, true, b';').unwrap();
        assert_eq!(
            (t.names.clone(), t.cell(0, 1)),
            (vec!["a".to_string(), "b".into()], "x")
        );
    }

    #[test]
    fn a_ragged_row_names_its_line() {
        let e = err("x,y\n1,2\n3,4,5\n");
        assert!(
            e.contains("line 3: expected 2 fields (as in the header), found 3"),
            "{e}"
        );
    }

    #[test]
    fn an_empty_file_or_a_header_alone_is_refused() {
        assert!(err("").contains("empty file"));
        assert!(err("x,y\n").contains("header but no data records"));
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let e = err_bytes(b"x,y\n1,\xff\n");
        assert!(
            e.contains("d.csv") && e.to_lowercase().contains("utf-8"),
            "{e}"
        );
    }

    fn err_bytes(bytes: &[u8]) -> String {
        let (_d, p) = file("d.csv", bytes);
        format!("{:#}", read_table(&p, true, b',').unwrap_err())
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = format!(
            "{:#}",
            read_table(Path::new("/nonexistent/x.csv"), true, b',').unwrap_err()
        );
        assert_eq!(e, "reading /nonexistent/x.csv: file not found");
    }
}
