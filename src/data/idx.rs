//! IDX files (the MNIST format), raw or gzipped: unsigned-byte images `(n, rows, cols)` and labels `(n)`.
//!
//! Layout: a 4-byte magic `00 00 08 D` (0x08 = unsigned byte, D = number of dimensions), D
//! big-endian u32 sizes, then the payload. Gzip is detected by its magic bytes `1f 8b`, not by
//! the file name. A header is never trusted with an allocation: its claimed payload is checked
//! against what the file can hold first, and every read is bounded with `take`.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result, bail};
use flate2::read::MultiGzDecoder;

/// Images: `0x00000803` (unsigned byte, 3 dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Labels: `0x00000801` (unsigned byte, 1 dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// Deflate cannot expand data by more than about 1032:1, so a gzip file of `m` bytes holds at
/// most this many times `m` decompressed bytes (plus a little slack for tiny files).
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Images as they are stored: `count` images of `height × width` bytes, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    pub count: usize,
    pub height: usize,
    pub width: usize,
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Features per image.
    pub fn pixels_per_image(&self) -> usize {
        self.height * self.width
    }
}

/// Reads an images file (magic 0x00000803).
pub fn read_images(path: &Path) -> Result<IdxImages> {
    read_images_inner(path).with_context(|| format!("reading {}", path.display()))
}

/// Reads a labels file (magic 0x00000801).
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    read_labels_inner(path).with_context(|| format!("reading {}", path.display()))
}

/// The number of items a file's header announces, reading only the header (8 bytes, decompressed
/// if the file is gzipped). Works for images and labels alike.
pub fn count(path: &Path) -> Result<usize> {
    count_inner(path).with_context(|| format!("reading {}", path.display()))
}

fn read_images_inner(path: &Path) -> Result<IdxImages> {
    let mut src = Source::open(path)?;
    let dims = read_header(&mut src.reader, IMAGES_MAGIC, "images")?;
    let (count, height, width) = (dims[0], dims[1], dims[2]);
    if count == 0 || height == 0 || width == 0 {
        bail!(
            "expected at least one image of at least 1×1 pixels, found {count} images of {height}×{width}"
        );
    }
    let payload = checked_product(&dims).with_context(|| {
        format!("header claims {count} images of {height}×{width} pixels: too large")
    })?;
    let pixels = read_payload(&mut src, 16, payload, "pixel")?;
    Ok(IdxImages {
        count,
        height,
        width,
        pixels,
    })
}

fn read_labels_inner(path: &Path) -> Result<Vec<u8>> {
    let mut src = Source::open(path)?;
    let dims = read_header(&mut src.reader, LABELS_MAGIC, "labels")?;
    if dims[0] == 0 {
        bail!("expected at least one label, found 0");
    }
    read_payload(&mut src, 8, dims[0], "label")
}

fn count_inner(path: &Path) -> Result<usize> {
    let mut src = Source::open(path)?;
    let mut head = [0u8; 8];
    src.reader
        .read_exact(&mut head)
        .map_err(|e| eof_as("file ends inside the 8-byte IDX header", e))?;
    let magic = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if magic != IMAGES_MAGIC && magic != LABELS_MAGIC {
        bail!(
            "expected an IDX magic number 0x{IMAGES_MAGIC:08x} (images) or 0x{LABELS_MAGIC:08x} (labels), found 0x{magic:08x}"
        );
    }
    Ok(u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize)
}

/// An opened file: the (possibly decompressing) reader, whether it is gzipped, and its size on disk.
struct Source {
    reader: Box<dyn Read>,
    gzipped: bool,
    file_len: u64,
}

impl Source {
    fn open(path: &Path) -> Result<Source> {
        let mut file = File::open(path).map_err(|e| open_error(path, e))?;
        let file_len = file.metadata()?.len();
        let mut magic = [0u8; 2];
        let got = read_up_to(&mut file, &mut magic)?;
        file.seek(SeekFrom::Start(0))?;
        let gzipped = got == 2 && magic == [0x1f, 0x8b];
        let buffered = BufReader::with_capacity(1 << 16, file);
        let reader: Box<dyn Read> = if gzipped {
            Box::new(MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        Ok(Source {
            reader,
            gzipped,
            file_len,
        })
    }

    /// The most payload bytes this file could possibly hold after a header of `header_len` bytes.
    fn max_payload(&self, header_len: u64) -> u64 {
        if self.gzipped {
            self.file_len
                .saturating_mul(MAX_DEFLATE_RATIO)
                .saturating_add(1024)
        } else {
            self.file_len.saturating_sub(header_len)
        }
    }
}

fn open_error(path: &Path, e: std::io::Error) -> anyhow::Error {
    if e.kind() == ErrorKind::NotFound && path.starts_with("/usr/share/datasets/fashion-mnist") {
        return anyhow::anyhow!(
            "file not found; Fashion-MNIST is packaged: apt-get update && apt-get install -y dataset-fashion-mnist"
        );
    }
    if e.kind() == ErrorKind::NotFound {
        return anyhow::anyhow!("file not found");
    }
    anyhow::Error::new(e)
}

/// Reads the magic and the dimensions; checks the element type and the number of dimensions.
fn read_header(r: &mut dyn Read, expected_magic: u32, what: &str) -> Result<Vec<usize>> {
    let ndims = (expected_magic & 0xff) as usize;
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)
        .map_err(|e| eof_as("file ends inside the IDX magic number", e))?;
    let found = u32::from_be_bytes(magic);
    if found != expected_magic {
        let hint = if found == IMAGES_MAGIC {
            " (an images file)"
        } else if found == LABELS_MAGIC {
            " (a labels file)"
        } else if magic[0] == 0 && magic[1] == 0 && magic[2] != 0x08 {
            " (an IDX file, but not of unsigned bytes)"
        } else {
            ""
        };
        bail!(
            "expected IDX {what} magic number 0x{expected_magic:08x} (unsigned bytes, {ndims} dimension{}), found 0x{found:08x}{hint}",
            if ndims == 1 { "" } else { "s" }
        );
    }
    let mut dims = Vec::with_capacity(ndims);
    for i in 0..ndims {
        let mut b = [0u8; 4];
        r.read_exact(&mut b).map_err(|e| {
            eof_as(
                &format!(
                    "file ends inside the IDX header (dimension {} of {ndims})",
                    i + 1
                ),
                e,
            )
        })?;
        dims.push(u32::from_be_bytes(b) as usize);
    }
    Ok(dims)
}

/// Reads exactly `len` payload bytes and checks nothing follows them.
fn read_payload(src: &mut Source, header_len: u64, len: usize, unit: &str) -> Result<Vec<u8>> {
    let max = src.max_payload(header_len);
    if len as u64 > max {
        if src.gzipped {
            bail!(
                "header claims {len} {unit} bytes, more than a {}-byte gzip file can hold",
                src.file_len
            );
        }
        bail!("file is truncated: header claims {len} {unit} bytes, found {max}");
    }
    let mut buf = Vec::new();
    // The claim is plausible now, so reserving it up front is safe and saves regrowing a 47 MB buffer.
    buf.try_reserve_exact(len)
        .with_context(|| format!("cannot allocate {len} bytes for the {unit}s"))?;
    super::huge_pages::advise(&mut buf);
    // One byte more than the claim, to detect trailing bytes without reading a whole stray tail.
    let got = (&mut src.reader)
        .take(len as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| eof_as("file is truncated (the compressed stream ends early)", e))?;
    if got < len {
        bail!("file is truncated: header claims {len} {unit} bytes, found {got}");
    }
    if got > len {
        bail!("trailing bytes after the {len} {unit} bytes the header claims");
    }
    Ok(buf)
}

fn checked_product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// `read` until `buf` is full or the reader ends; returns how many bytes were read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// An unexpected end of file becomes `msg`; any other I/O error (a corrupt gzip stream, a bad
/// CRC) is kept as it is.
fn eof_as(msg: &str, e: std::io::Error) -> anyhow::Error {
    if e.kind() == ErrorKind::UnexpectedEof {
        anyhow::anyhow!("{msg}")
    } else {
        anyhow::Error::new(e)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// An IDX file's bytes: magic, dimensions, payload.
    pub(crate) fn idx_bytes(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(payload);
        v
    }

    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn two_images() -> Vec<u8> {
        idx_bytes(
            IMAGES_MAGIC,
            &[2, 2, 3],
            &[0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255],
        )
    }

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", r.unwrap_err())
    }

    #[test]
    fn a_raw_images_file_is_read_with_its_dimensions() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "img", &two_images());
        let img = read_images(&p).unwrap();
        assert_eq!((img.count, img.height, img.width), (2, 2, 3));
        assert_eq!(img.pixels_per_image(), 6);
        assert_eq!(img.pixels[6..], [250, 251, 252, 253, 254, 255]);
    }

    #[test]
    fn a_gzipped_file_is_detected_by_its_magic_bytes_not_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let raw = write(dir.path(), "raw.gz", &two_images());
        let gz = write(dir.path(), "packed.idx", &gzip(&two_images()));
        assert_eq!(read_images(&gz).unwrap(), read_images(&raw).unwrap());
        let labels = write(
            dir.path(),
            "l",
            &gzip(&idx_bytes(LABELS_MAGIC, &[3], &[7, 0, 9])),
        );
        assert_eq!(read_labels(&labels).unwrap(), vec![7, 0, 9]);
    }

    #[test]
    fn count_reads_only_the_header_of_raw_and_gzipped_files() {
        let dir = tempfile::tempdir().unwrap();
        let gz = write(dir.path(), "a", &gzip(&two_images()));
        let mut lab = idx_bytes(LABELS_MAGIC, &[3], &[1, 2, 3]);
        lab.truncate(8); // a count needs no payload
        let raw = write(dir.path(), "b", &lab);
        assert_eq!(count(&gz).unwrap(), 2);
        assert_eq!(count(&raw).unwrap(), 3);
    }

    #[test]
    fn a_truncated_file_is_an_error_saying_how_much_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = two_images();
        bytes.pop();
        let p = write(dir.path(), "img", &bytes);
        let e = err(read_images(&p));
        assert!(
            e.contains("truncated") && e.contains("12") && e.contains("11"),
            "{e}"
        );
        assert!(e.starts_with(&format!("reading {}", p.display())), "{e}");

        let gz = gzip(&bytes);
        let p = write(dir.path(), "img.gz", &gz);
        assert!(err(read_images(&p)).contains("truncated"));

        // A gzip stream cut short (its CRC trailer and some data gone).
        let full = gzip(&two_images());
        let p = write(dir.path(), "cut.gz", &full[..full.len() - 10]);
        assert!(err(read_images(&p)).contains("truncated"));

        let p = write(dir.path(), "short", &two_images()[..10]);
        assert!(err(read_images(&p)).contains("header"));
    }

    #[test]
    fn trailing_bytes_after_the_payload_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = two_images();
        bytes.push(0);
        let p = write(dir.path(), "img", &bytes);
        assert!(err(read_images(&p)).contains("trailing bytes"));
        let p = write(dir.path(), "img.gz", &gzip(&bytes));
        assert!(err(read_images(&p)).contains("trailing bytes"));
    }

    #[test]
    fn a_wrong_magic_number_is_an_error_naming_both_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "labels-as-images",
            &idx_bytes(LABELS_MAGIC, &[2], &[1, 2]),
        );
        let e = err(read_images(&p));
        assert!(
            e.contains("0x00000803") && e.contains("0x00000801") && e.contains("labels file"),
            "{e}"
        );
        let p = write(
            dir.path(),
            "floats",
            &idx_bytes(0x0000_0d03, &[1, 1, 1], &[0, 0, 0, 0]),
        );
        assert!(err(read_images(&p)).contains("not of unsigned bytes"));
        let p = write(dir.path(), "text", b"hello, world, this is no idx file");
        assert!(err(read_labels(&p)).contains("found 0x68656c6c"));
        assert!(err(count(&p)).contains("IDX magic"));
    }

    #[test]
    fn a_huge_claimed_size_is_refused_before_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = idx_bytes(IMAGES_MAGIC, &[u32::MAX, u32::MAX, u32::MAX], &[1, 2, 3]);
        let p = write(dir.path(), "raw", &bytes);
        assert!(err(read_images(&p)).contains("too large"));
        let bytes = idx_bytes(IMAGES_MAGIC, &[1_000_000, 28, 28], &[1, 2, 3]);
        let p = write(dir.path(), "raw2", &bytes);
        assert!(err(read_images(&p)).contains("truncated"));
        let p = write(dir.path(), "gz", &gzip(&bytes));
        assert!(err(read_images(&p)).contains("more than a"));
        let p = write(
            dir.path(),
            "lab.gz",
            &gzip(&idx_bytes(LABELS_MAGIC, &[u32::MAX], &[1])),
        );
        assert!(err(read_labels(&p)).contains("more than a"));
    }

    #[test]
    fn zero_images_or_zero_sized_images_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a", &idx_bytes(IMAGES_MAGIC, &[0, 28, 28], &[]));
        assert!(err(read_images(&p)).contains("at least one image"));
        let p = write(dir.path(), "b", &idx_bytes(IMAGES_MAGIC, &[3, 0, 28], &[]));
        assert!(err(read_images(&p)).contains("at least one image"));
        let p = write(dir.path(), "c", &idx_bytes(LABELS_MAGIC, &[0], &[]));
        assert!(err(read_labels(&p)).contains("at least one label"));
    }

    #[test]
    fn an_empty_or_missing_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "empty", &[]);
        assert!(err(read_images(&p)).contains("magic"));
        let missing = dir.path().join("nope.gz");
        let e = err(read_labels(&missing));
        assert!(e.contains("nope.gz") && e.contains("not found"), "{e}");
    }

    #[test]
    fn a_missing_fashion_mnist_file_says_how_to_install_it() {
        let p = Path::new("/usr/share/datasets/fashion-mnist/no-such-file-idx3-ubyte.gz");
        let e = err(read_images(p));
        assert!(
            e.contains("apt-get update && apt-get install -y dataset-fashion-mnist"),
            "{e}"
        );
    }
}
